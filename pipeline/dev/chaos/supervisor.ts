/**
 * The product processes of a chaos run, kept running the way a supervisor (systemd,
 * `Restart=always`) would: two `stocksync run` instances in one consumer group and one
 * `stocksync channels run`, each its own process; one that exits — killed by the run, or exiting
 * on its own — is started again, and counted. Logs: `<stack logs>/chaos-<name>.log`.
 */
import { logTail, startProductProcess, type ProductProcess } from '../bench/product-processes.ts';
import type { ProductTarget } from './faults.ts';

/** The processes: `pipeline-1`, `pipeline-2` (`run`) and `channels` (`channels run`). */
const PROCESSES: ReadonlyArray<{ name: string; kind: ProductTarget; args: string[] }> = [
  { name: 'pipeline-1', kind: 'pipeline', args: ['run', '--metrics-port', '0'] },
  { name: 'pipeline-2', kind: 'pipeline', args: ['run', '--metrics-port', '0'] },
  { name: 'channels', kind: 'channels', args: ['channels', 'run', '--metrics-port', '0'] },
];

/** The supervised processes. */
export class ProductSupervisor {
  private readonly running = new Map<string, ProductProcess>();
  /** Exits the supervisor did not cause, since the last {@link takeUnplannedExits}. */
  private unplanned: string[] = [];

  /** SIGKILL to every running process when this process exits without stopping them (a crash): no orphans. */
  private readonly onExit = (): void => {
    for (const p of this.running.values()) if (p.exitCode === null) process.kill(p.pid, 'SIGKILL');
  };

  /** @param env - added to each process's environment (the chaos stores' endpoints). */
  constructor(private readonly env: Record<string, string>) {
    process.once('exit', this.onExit);
  }

  /** Starts every process not running. */
  startAll(): void {
    for (const p of PROCESSES) if (!this.running.has(p.name)) this.spawn(p.name, false);
  }

  /** Pids of the running processes, by name. */
  pids(): Record<string, number> {
    return Object.fromEntries([...this.running.entries()].map(([name, p]) => [name, p.pid]));
  }

  /**
   * SIGKILL of the first process of `kind` (`pipeline-1` for the pipeline), then started again
   * at once, as a supervisor would. Resolves once the new process is spawned.
   */
  async killAndRestart(kind: ProductTarget): Promise<void> {
    const target = PROCESSES.find((p) => p.kind === kind);
    if (!target) throw new Error(`no supervised process of kind ${kind}`);
    const current = this.running.get(target.name);
    if (current) await current.kill();
    this.spawn(target.name, true);
  }

  /**
   * Starts again every process that exited by itself (a supervisor's restart), and returns what
   * each had logged last, for the report.
   */
  restartExited(): string[] {
    const restarted: string[] = [];
    for (const [name, p] of this.running) {
      if (p.exitCode === null) continue;
      restarted.push(`${name} exited (code ${p.exitCode}) and was started again; its log ends: ${logTail(p.log, 3).replaceAll('\n', ' / ')}`);
      this.spawn(name, true);
    }
    this.unplanned.push(...restarted);
    return restarted;
  }

  /** The exits {@link restartExited} met since the last call. */
  takeUnplannedExits(): string[] {
    const out = this.unplanned;
    this.unplanned = [];
    return out;
  }

  /** SIGTERM to every process (SIGKILL after 30 s), waiting for their exits. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((p) => p.stop()));
    this.running.clear();
    process.off('exit', this.onExit);
  }

  private spawn(name: string, append: boolean): void {
    const spec = PROCESSES.find((p) => p.name === name);
    if (!spec) throw new Error(`unknown process ${name}`);
    this.running.set(name, startProductProcess(name, spec.args, { env: this.env, logPrefix: 'chaos', append }));
  }
}
