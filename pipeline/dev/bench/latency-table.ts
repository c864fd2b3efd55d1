/** The latency part printed as a table: per rate, one line per stage, then lag and CPU. */
import type { BenchPart } from './report.ts';

/** The latency part as a readable table: per rate, one line per stage, then lag and CPU. */
export function formatLatencyTable(part: BenchPart): string {
  const { start, end } = part.machine.loadAverage;
  const lines = [
    `${part.part}: ${part.machine.cores} cores, load average ${start.map((x) => x.toFixed(2)).join(' ')} at start, ${end.map((x) => x.toFixed(2)).join(' ')} at end`,
  ];
  const cell = (v: number | string | null | undefined, w: number): string => String(v ?? '-').padStart(w);
  lines.push(
    `${'rate/s'.padStart(7)} ${'achieved/s'.padStart(10)} ${'ops/s'.padStart(6)}  ${'to'.padEnd(12)} ${'n'.padStart(7)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(6)}  (ms)`,
  );
  for (const row of part.rows) {
    const f = row.figures;
    const stages = Object.keys(f)
      .filter((k) => k.endsWith('_p50_ms'))
      .map((k) => k.slice(0, -'_p50_ms'.length));
    stages.forEach((stage, i) => {
      const lead = i === 0 ? `${cell(f.target_changes_per_s, 7)} ${cell(f.achieved_changes_per_s, 10)} ${cell(f.operations_per_s, 6)}` : ' '.repeat(25);
      lines.push(
        `${lead}  ${stage.padEnd(12)} ${cell(f[`${stage}_n`], 7)} ${cell(f[`${stage}_p50_ms`], 6)} ${cell(f[`${stage}_p95_ms`], 6)} ${cell(f[`${stage}_p99_ms`], 6)} ${cell(f[`${stage}_max_ms`], 6)}`,
      );
    });
    const channelLag = Object.keys(f)
      .filter((k) => k.endsWith('_lag_end') && k !== 'pipeline_lag_end')
      .map((k) => {
        const name = k.slice(0, -'_lag_end'.length);
        return `${name} ${f[k]} (grows ${f[`${name}_lag_grows`]})`;
      });
    lines.push(
      `${' '.repeat(27)}lag at step end: pipeline ${f.pipeline_lag_end} (${f.pipeline_lag_slope_per_s}/s, grows ${f.lag_grows}), ${channelLag.join(', ')}; caught up ${f.catch_up_s} s later`,
    );
    const cpu = Object.keys(f)
      .filter((k) => k.startsWith('cpu_') && k !== 'cpu_machine' && k !== 'cpu_others')
      .sort((a, b) => Number(f[b]) - Number(f[a]))
      .map((k) => `${k.slice(4)} ${Number(f[k]).toFixed(2)}`);
    lines.push(
      `${' '.repeat(27)}cores busy: machine ${Number(f.cpu_machine).toFixed(2)} of ${part.machine.cores}, other work ${Number(f.cpu_others).toFixed(2)}; ${cpu.join(', ')}`,
    );
    const waits = Object.keys(f)
      .filter((k) => k.startsWith('runqueue_'))
      .sort((a, b) => Number(f[b]) - Number(f[a]))
      .map((k) => `${k.slice(9)} ${Number(f[k]).toFixed(2)}`);
    if (waits.length > 0) lines.push(`${' '.repeat(27)}waiting for a core (thread-seconds per second): ${waits.join(', ')}`);
  }
  lines.push(`passed: ${part.passed}`);
  for (const note of part.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
