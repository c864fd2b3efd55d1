/**
 * The product's long-running commands (`stocksync run`, `stocksync channels run`) as child
 * processes, for fault tests: their stderr is kept so a test can say what they logged, and each
 * one is stopped (SIGTERM, then SIGKILL) by its own pid at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/config/project-root.ts';

export interface ProductProcess {
  child: ChildProcess;
  /** Everything written to stderr and stdout so far. */
  output(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** Stops it (SIGTERM, SIGKILL after 20 s) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `stocksync <args>` with the test's environment plus `env`. Output also goes to this
 * process's stderr when STOCKSYNC_TEST_CHILD_OUTPUT is set (debugging).
 */
export function startProductProcess(args: string[], env: NodeJS.ProcessEnv = {}): ProductProcess {
  const child = spawn(process.execPath, [path.join(projectRoot, 'pipeline/bin/stocksync.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 2_000_000) text = text.slice(-1_000_000);
    if (process.env.STOCKSYNC_TEST_CHILD_OUTPUT) process.stderr.write(`[${args[0]}] ${chunk.toString()}`);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => text,
    alive,
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
