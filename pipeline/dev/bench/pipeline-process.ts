/**
 * The pipeline as the bench measures it: `stocksync run` in a process of its own (so its CPU and
 * memory are its own), with its Prometheus metrics on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/config/project-root.ts';
import { freePort } from './proc.ts';

/** A running `stocksync run` child process. */
export interface PipelineProcess {
  pid: number;
  metricsPort: number;
  /** When the run command reported it had joined its consumer group, ms since epoch. */
  readyAtMs: number;
  /**
   * Why the process can make no more progress, once it cannot: it exited, or its Kafka consumer
   * crashed for good (kafkajs does not restart a consumer after an error it deems non-retriable,
   * e.g. a member that lost its group); undefined while it runs.
   */
  failure(): string | undefined;
  /** Sums of the process's Prometheus samples by metric name (labels summed over). */
  metrics(): Promise<Record<string, number>>;
  /** SIGTERM, then waits for the exit (up to 60 s, then SIGKILL); a CPU profile is written on that exit. */
  stop(): Promise<void>;
}

/** Options of {@link startPipelineProcess}. */
export interface PipelineProcessOptions {
  /** Write a V8 CPU profile (`node --cpu-prof`) into this folder when the process exits. */
  profileDir?: string;
  /** Lines the process prints (its log) go here. */
  output: (line: string) => void;
  /** How long to wait for the consumer to join its group, ms (default 120 s). */
  timeoutMs?: number;
}

const READY = 'consuming as a member of';
/** What kafkajs logs when a consumer stops on an error (JSON log line, field `message`). */
const CRASH = '[Consumer] Crash';

/**
 * Starts `node pipeline/bin/stocksync.js run --metrics-port <free port>` with this process's
 * environment (so the same stack) and resolves once it has joined its consumer group.
 * @throws Error when it exits or does not join within the timeout (its output went to `output`).
 */
export async function startPipelineProcess(options: PipelineProcessOptions): Promise<PipelineProcess> {
  const metricsPort = await freePort();
  const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...profile, path.join(projectRoot, 'pipeline', 'bin', 'stocksync.js'), 'run', '--metrics-port', String(metricsPort)],
    { cwd: projectRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let failure: string | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      failure ??= `stocksync run exited (code ${code})`;
      resolve(code);
    }),
  );
  let ready: (at: number) => void = () => undefined;
  const joined = new Promise<number>((resolve) => (ready = resolve));
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.includes(READY)) ready(Date.now());
        if (line.includes(CRASH)) failure ??= `its Kafka consumer crashed: ${line.slice(0, 300)}`;
        options.output(line);
      }
    });
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const readyAtMs = await Promise.race([
    joined,
    exited.then((code) => {
      throw new Error(`stocksync run exited (code ${code}) before joining its consumer group`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stocksync run did not join its consumer group within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  clearTimeout(timer);

  return {
    pid: child.pid!,
    metricsPort,
    readyAtMs,
    failure: () => failure,
    async metrics() {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
      return sumSamples(await response.text());
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Sums the samples of a Prometheus text exposition by metric name: `a{x="1"} 2` and `a{x="2"} 3`
 * give `{ a: 5 }`. Comment lines are skipped.
 */
export function sumSamples(text: string): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) sums[match[1]!] = (sums[match[1]!] ?? 0) + value;
  }
  return sums;
}
