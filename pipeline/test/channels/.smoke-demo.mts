// Temporary smoke script (not a test): live workload through pipeline + channels, oracle, latency.
import mysql from 'mysql2/promise';
import pg from 'pg';
import pino from 'pino';
import { stackEndpoints } from '../../src/config.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { resetCapture, seedSources } from '../../src/demo/environment.ts';
import { percentiles } from '../../src/demo/latency.ts';
import { startPipeline } from '../../src/pipeline/pipeline.ts';
import { runWorkload, type CommittedOperation } from '../../src/sample/workload.ts';
import { startChannels } from '../../src/channels/fanout.ts';
import { resetChannels } from '../../src/channels/reset.ts';
import { checkChannels } from '../../src/channels/oracle.ts';
import { ChannelLatencyRecorder, channelLatencySamples } from '../../src/channels/latency.ts';
import { waitForLagZero } from '../helpers/environment.ts';

const endpoints = stackEndpoints();
const logger = pino({ level: 'warn' }, pino.destination(2));
await resetChannels({ endpoints });
await resetCapture(endpoints);
await seedSources({ seed: 42, products: 2000 }, endpoints);
const eventsOfTx = new Map<string, Set<string>>();
const pipeline = await startPipeline({ endpoints, logger, hooks: { onMerged: (r) => {
  const events = r.canonical.map((e) => `${e.sku}|${e.location}|${e.version}`);
  for (const l of r.appliedLevels) { if (l.snapshot || l.txId === null) continue; const k = `${l.source}|${l.txId}`; const s = eventsOfTx.get(k) ?? new Set(); for (const e of events) s.add(e); eventsOfTx.set(k, s); }
} } });
const recorder = new ChannelLatencyRecorder();
const channels = await startChannels({ endpoints, logger, hooks: { onCommitted: recorder.onCommitted } });
const t0 = Date.now();
for (const f of connectorFiles()) await applyConnector(loadConnector(f));
await new Promise((r) => setTimeout(r, 5000));
await waitForLagZero(undefined, 300_000); await pipeline.drainOutbox();
const settle = async () => { for (;;) { const lag = await channels.lag(); if (Object.values(lag).every((n) => n === 0)) return; await new Promise((r) => setTimeout(r, 300)); } };
await settle();
console.error(`snapshot through channels in ${Date.now() - t0} ms; rows written ${recorder.rowsWritten}`);
const ops: CommittedOperation[] = [];
const pos = await mysql.createConnection(endpoints.pos); const wms = new pg.Client(endpoints.warehouse); await wms.connect();
await runWorkload({ pos, warehouse: wms }, { seed: 42, products: 2000, rate: 20, durationMs: 20_000, keepOperations: false, onCommit: (op) => ops.push(op) });
await pos.end(); await wms.end();
await waitForLagZero(undefined, 60_000); await pipeline.drainOutbox(); await settle();
const report = await checkChannels({ endpoints });
console.error(JSON.stringify(report.channels.map((c) => ({ channel: c.channel, expected: c.expectedRows, rows: c.channelRows, mismatches: c.mismatches.length }))));
const txs = ops.filter((op) => op.txId !== null).map((op) => {
  const source = op.kind.startsWith('pos.') ? 'pos' as const : 'warehouse' as const;
  const touched = new Set(op.touched.filter((t) => t.sku !== null && t.location !== null).map((t) => `${t.sku}|${t.location}|`));
  const events = [...(eventsOfTx.get(`${source}|${op.txId}`) ?? [])].filter((e) => touched.has(e.slice(0, e.lastIndexOf('|') + 1)));
  return { source, committedAtMs: op.committedAtMs, events };
});
const samples = channelLatencySamples(recorder, txs, ['webshop', 'marketplace']);
for (const [ch, s] of Object.entries(samples)) console.error(ch, JSON.stringify({ all: percentiles(s.all), pos: percentiles(s.pos), warehouse: percentiles(s.warehouse) }));
await channels.stop(); await pipeline.stop();
process.exit(0);
