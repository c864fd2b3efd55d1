/**
 * Starting a load worker as a child process or as a worker thread, behind one small interface.
 * Both run `worker.ts` through tsx; messages are structured clones either way. Child processes
 * were measured faster on the 2-core machine (2 × 8 POS connections: 409 against 223 tickets per
 * second with threads; each process has its own event loop and garbage collector, and the OS
 * schedules them apart), so they are the default; threads remain for comparison (`--worker-kind`).
 */
import { fork } from 'node:child_process';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerSetup } from './messages.ts';

/** How a worker runs: its own process (`process`) or a thread of the coordinator (`thread`). */
export type WorkerKind = 'process' | 'thread';

/** The coordinator's handle on a worker. */
export interface WorkerHandle {
  /** OS process id (the coordinator's own for a thread). */
  readonly pid: number;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  /** Resolves with the exit code once the worker has exited (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Ends the worker at once (a process gets SIGKILL). */
  kill(): void;
}

const WORKER_FILE = new URL('./worker.ts', import.meta.url);
/** The environment variable that carries a child process's {@link WorkerSetup}. */
const SETUP_VARIABLE = 'STOCKSYNC_LOAD_WORKER';

/**
 * Starts `worker.ts` with `setup`. With `STOCKSYNC_LOAD_PROFILE=<dir>` a worker process writes a
 * V8 CPU profile there when it exits (`node --cpu-prof`; NODE_OPTIONS may not carry that flag).
 */
export function spawnWorker(kind: WorkerKind, setup: WorkerSetup): WorkerHandle {
  if (kind === 'process') {
    const profile = process.env.STOCKSYNC_LOAD_PROFILE;
    const child = fork(WORKER_FILE, [], {
      execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [])],
      env: { ...process.env, [SETUP_VARIABLE]: JSON.stringify(setup) },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return {
      pid: child.pid ?? -1,
      // A worker that already exited (its source went away) has no channel: there is nothing to tell it.
      send: (message) => {
        if (child.connected) child.send(message, () => undefined);
      },
      onMessage: (listener) => void child.on('message', (m) => listener(m as FromWorker)),
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
      kill: () => void child.kill('SIGKILL'),
    };
  }
  // A thread does not inherit the tsx loader: a small ES module registers it, then loads the worker.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(WORKER_FILE.href)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: setup });
  return {
    pid: process.pid,
    send: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on('message', listener),
    exited: new Promise((resolve) => worker.once('exit', (code) => resolve(code))),
    kill: () => void worker.terminate(),
  };
}

/** The worker's side: its setup and its channel to the coordinator. */
export interface CoordinatorPort {
  setup: WorkerSetup;
  send(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
  /** Lets the worker exit once its work is done (closes the channel). */
  close(): void;
}

/** In a worker: the port to the coordinator. @throws Error when not started by {@link spawnWorker}. */
export function coordinatorPort(): CoordinatorPort {
  if (parentPort) {
    const port = parentPort;
    return {
      setup: workerData as WorkerSetup,
      send: (message) => port.postMessage(message),
      onMessage: (listener) => void port.on('message', listener),
      close: () => port.close(),
    };
  }
  const text = process.env[SETUP_VARIABLE];
  if (!text || !process.send) throw new Error('load worker: not started by spawnWorker (no IPC channel or setup)');
  return {
    setup: JSON.parse(text) as WorkerSetup,
    send: (message) => void process.send?.(message),
    onMessage: (listener) => void process.on('message', (m) => listener(m as ToWorker)),
    close: () => process.disconnect(),
  };
}
