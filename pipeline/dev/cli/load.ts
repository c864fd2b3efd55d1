import type { Command } from 'commander';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { readCapturedTransactions, transactionKey, waitForCaptureToSettle } from '../bench/captured-changes.ts';
import { startLoadGenerator } from '../load/generator.ts';
import { cpuBetween, cpuSeconds, machineBusySeconds, stackServerProcesses } from '../bench/process-cpu.ts';
import type { WorkerKind } from '../load/transport.ts';
import type { SampleSource } from '../sample/shared/workload.ts';

/** Parses a comma-separated list of positive numbers. @throws Error naming the option. */
export function positiveList(text: string, option: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !(Number.isFinite(v) && v > 0)))
    throw new Error(`${option}: expected positive numbers separated by commas, got "${text}"`);
  return values;
}

/** Parses `pos=0.7,warehouse=0.2,erpnext=0.1` (sources left out get 0). @throws Error naming the option. */
export function parseShares(text: string): Record<SampleSource, number> {
  const shares: Record<SampleSource, number> = { pos: 0, warehouse: 0, erpnext: 0 };
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    if (!(name === 'pos' || name === 'warehouse' || name === 'erpnext') || !(Number(value) >= 0))
      throw new Error(`--shares: expected source=share pairs (pos, warehouse, erpnext), got "${text}"`);
    shares[name] = Number(value);
  }
  return shares;
}

/** `stocksync load`: the load generator alone, on seeded sources. */
export function register(program: Command): void {
  program
    .command('load')
    .description('load generator: step through source-change rates on the seeded sample sources (several processes and connections)')
    .option('--seed <n>', 'the seed the sources were seeded with', '42')
    .option('--products <n>', 'the product count the sources were seeded with', '2000')
    .option('--rates <list>', 'target source changes per second, one step each', '1000,2000,5000')
    .option('--seconds <n>', 'duration of each step', '10')
    .option('--workers <n>', 'worker processes (or threads)', '2')
    .option('--connections <n>', 'connections per source in each worker', '8')
    .option('--worker-kind <kind>', 'process or thread', 'process')
    .option('--shares <list>', 'share of the operations per source, e.g. pos=0.7,warehouse=0.2,erpnext=0.1 (default: the demo split)')
    .option('--no-captured', 'do not count what Debezium captured (the connectors may be off)')
    .action(
      async (options: {
        seed: string;
        products: string;
        rates: string;
        seconds: string;
        workers: string;
        connections: string;
        workerKind: string;
        shares?: string;
        captured: boolean;
      }) => {
        const rates = positiveList(options.rates, '--rates');
        const durationMs = Number(options.seconds) * 1000;
        if (options.workerKind !== 'process' && options.workerKind !== 'thread') throw new Error(`--worker-kind: process or thread, got ${options.workerKind}`);
        const txOfStep = new Map<number, Array<{ key: string; kind: string }>>();
        const generator = await startLoadGenerator({
          seed: Number(options.seed),
          products: Number(options.products),
          workers: Number(options.workers),
          connectionsPerSource: Number(options.connections),
          workerKind: options.workerKind as WorkerKind,
          shares: options.shares ? parseShares(options.shares) : undefined,
          onCommit: (ops) => {
            for (const op of ops) {
              if (op.txId === null) continue;
              let list = txOfStep.get(op.step);
              if (!list) txOfStep.set(op.step, (list = []));
              list.push({ key: transactionKey(op.source, op.txId), kind: op.kind });
            }
          },
        });
        const startedAt = Date.now();
        const steps = [];
        try {
          const watched = [...generator.pids.map((pid) => ({ name: 'load-generator', pid })), ...stackServerProcesses()];
          for (const rate of rates) {
            const before = { ...cpuSeconds(watched), machine: machineBusySeconds() };
            const r = await generator.runStep(rate, durationMs);
            const cpu = cpuBetween(before, { ...cpuSeconds(watched), machine: machineBusySeconds() });
            const seconds = (r.endedAtMs - r.startedAtMs) / 1000;
            steps.push(r);
            console.error(
              `step ${r.step}: target ${rate} changes/s -> ${r.committed} operations (${(r.committed / seconds).toFixed(0)}/s), ~${(r.estimatedChanges / seconds).toFixed(0)} changes/s estimated; ${JSON.stringify(r.bySource)}`,
            );
            // CPU per (estimated) change: what a change costs each process, whatever else ran on the machine.
            const perChange = Object.entries(cpu).map(([name, s]) => `${name} ${((s * 1e6) / Math.max(1, r.estimatedChanges)).toFixed(0)}`);
            console.error(
              `  cores busy: ${Object.entries(cpu)
                .map(([name, s]) => `${name} ${(s / seconds).toFixed(2)}`)
                .join(', ')}`,
            );
            console.error(`  CPU µs per change: ${perChange.join(', ')}`);
          }
        } finally {
          await generator.stop();
        }
        if (!options.captured) return;
        const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-load' });
        try {
          await waitForCaptureToSettle(kafka);
          const captured = await readCapturedTransactions(kafka, stackEndpoints().registryUrl, { since: startedAt });
          const perKind = new Map<string, { operations: number; changes: number; missing: number }>();
          for (const r of steps) {
            let changes = 0;
            let missing = 0;
            for (const { key, kind } of txOfStep.get(r.step) ?? []) {
              const tx = captured.get(key);
              const k = perKind.get(kind) ?? { operations: 0, changes: 0, missing: 0 };
              perKind.set(kind, k);
              k.operations++;
              if (!tx) {
                missing++;
                k.missing++;
                continue;
              }
              changes += tx.changes;
              k.changes += tx.changes;
            }
            const seconds = (r.endedAtMs - r.startedAtMs) / 1000;
            console.log(
              `step ${r.step}: target ${r.targetChangesPerSecond}/s, captured ${changes} changes in ${seconds.toFixed(1)} s = ${(changes / seconds).toFixed(0)} changes/s (${r.committed} operations, ${missing} not yet captured)`,
            );
          }
          for (const [kind, k] of [...perKind.entries()].sort()) {
            console.log(`  ${kind}: ${k.operations} operations, ${(k.changes / Math.max(1, k.operations - k.missing)).toFixed(2)} changes each`);
          }
        } finally {
          await kafka.close();
        }
      },
    );
}
