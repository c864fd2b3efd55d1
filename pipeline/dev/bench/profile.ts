/**
 * Reading a V8 CPU profile (`node --cpu-prof`, a `.cpuprofile` JSON file: nodes with call frames,
 * and samples with the time since the previous sample in µs) into self time per function.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The parts of a `.cpuprofile` file this module reads (Chrome DevTools Protocol `Profiler.Profile`). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number } }>;
  samples: number[];
  /** µs between consecutive samples; the first is relative to `startTime`. */
  timeDeltas: number[];
}

/** One function's self time: time the sampled stack had it on top. */
export interface SelfTime {
  /**
   * `name (file:line:column)`, the file relative to the project, line and column 1-based (of the code
   * node ran: tsx's output for TypeScript); `(program)`, `(garbage collector)`, `(idle)` as V8 names them.
   */
  function: string;
  selfMs: number;
  /** Share of all sampled time, percent. */
  percent: number;
}

/**
 * Self time per function, largest first. Nodes of the same function (same name, file and line) at
 * different call paths are added up.
 */
export function selfTimes(profile: CpuProfile, root = process.cwd()): SelfTime[] {
  const nameOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const file = url.startsWith('file://') ? path.relative(root, new URL(url).pathname) : url;
    nameOf.set(node.id, file ? `${functionName || '(anonymous)'} (${file}:${lineNumber + 1}:${(columnNumber ?? 0) + 1})` : functionName || '(anonymous)');
  }
  const micros = new Map<string, number>();
  let total = 0;
  // A sample's time is the delta to the NEXT sample (the stack ran until then).
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const name = nameOf.get(profile.samples[i]!) ?? '(unknown)';
    micros.set(name, (micros.get(name) ?? 0) + delta);
    total += delta;
  }
  return [...micros]
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ function: name, selfMs: Math.round(us / 100) / 10, percent: total === 0 ? 0 : Math.round((us / total) * 1000) / 10 }));
}

/**
 * The `.cpuprofile` file in `dir` written since `sinceMs` with the most time outside `(idle)` — the
 * main thread's: node writes one file per thread, and tsx's module loader runs in a worker thread.
 */
export function busiestProfile(dir: string, sinceMs: number): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const busy = (file: string) => selfTimes(readProfile(file)).reduce((sum, f) => sum + (f.function === '(idle)' ? 0 : f.selfMs), 0);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).mtimeMs >= sinceMs)
    .map((file) => ({ file, busy: busy(file) }))
    .sort((a, b) => b.busy - a.busy)[0]?.file;
}

/** Reads a `.cpuprofile` file. */
export function readProfile(file: string): CpuProfile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
}
