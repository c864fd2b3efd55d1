/**
 * `stocksync poison`: the poison corpus (issue 16) on the local stack. A fresh sample with the
 * product running as in production (`stocksync run` and `stocksync channels run`, each its own
 * process); once the snapshot is merged, the load generator writes valid changes at a modest rate
 * while the corpus (kinds.ts) goes into the real source topics. Then it waits for quiescence
 * (connectors caught up, every group at lag 0, outboxes empty) and checks: every malformed record
 * in the dead-letter topic with its expected reason, no usable or valid record dead-lettered, no
 * stalled partition, no crash, and the canonical and channel oracles without a mismatch.
 */
import { checkChannels, channelGroupIds, loadChannelsConfig, resetChannels } from '../../src/channels/index.ts';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { channelGroupId, DEAD_LETTER_TOPIC, PIPELINE_GROUP_ID, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { sourceCaughtUp } from '../../src/connectors/caught-up.ts';
import { readDeadLetters } from '../../src/dead-letter/index.ts';
import { createKafkaClient, type KafkaClient } from '../../src/kafka/client.ts';
import { loadMappings, topicRoles } from '../../src/normalize/index.ts';
import { createSchemaRegistry } from '../../src/registry/registry.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { mergedRows, outboxesEmpty } from '../bench/latency.ts';
import { logTail, startProductProcess, type ProductProcess } from '../bench/product-processes.ts';
import { readTopicsToEnd } from '../bench/read-to-end.ts';
import { resetCapture, seedSources } from '../demo/environment.ts';
import { checkAgainstOracle } from '../demo/oracle-check.ts';
import { waitStable } from '../demo/quiescence.ts';
import { startLoadGenerator } from '../load/generator.ts';
import { stackUp } from '../stack/stack.ts';
import { kindCounts, produceCorpus, referencedDimensionKeys, registerPoisonSchemas } from './producer.ts';
import { matchDeadLetters, placeOf, poisonOf, type FoundPoison, type PoisonReport, type StalledPartition } from './report.ts';
import { readTemplates } from './templates.ts';

/** Options of {@link runPoison}. */
export interface PoisonOptions {
  /** Poison records in all (default 10,000). */
  records: number;
  /** Sample seed and products (the load generator uses the same). */
  seed: number;
  products: number;
  /** Valid source changes per second while the corpus is produced (default 100). */
  rate: number;
  /** Valid traffic runs at least this long (default 20 s). */
  minLoadSeconds: number;
  /** How long quiescence may take after the corpus before the partitions still behind count as stalled. */
  settleTimeoutMs: number;
  progress?: (line: string) => void;
}

export const FULL_POISON: Omit<PoisonOptions, 'progress'> = {
  records: 10_000,
  seed: 42,
  products: 300,
  rate: 100,
  minLoadSeconds: 20,
  settleTimeoutMs: 10 * 60_000,
};
export const SHORT_POISON: Omit<PoisonOptions, 'progress'> = {
  records: 1_000,
  seed: 42,
  products: 150,
  rate: 100,
  minLoadSeconds: 10,
  settleTimeoutMs: 3 * 60_000,
};

/** Partitions of `topics` where `group` is behind its end. */
async function behind(kafka: KafkaClient, group: string, topics: string[]): Promise<StalledPartition[]> {
  const out: StalledPartition[] = [];
  for (const topic of topics) {
    const [ends, committed] = await Promise.all([kafka.endOffsets(topic), kafka.groupOffsets(group, topic)]);
    for (const end of ends) {
      const done = BigInt(committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1');
      const lag = BigInt(end.offset) - (done < 0n ? 0n : done);
      if (lag > 0n) out.push({ group, topic, partition: end.partition, lag: Number(lag) });
    }
  }
  return out;
}

/** Runs the corpus; never throws for a failed check (passed = false), only for a broken environment. */
export async function runPoison(options: PoisonOptions): Promise<PoisonReport> {
  const startedAt = Date.now();
  const say = options.progress ?? (() => undefined);
  const endpoints = stackEndpoints();
  const mappings = loadMappings();
  const roles = topicRoles(mappings);
  const sourceTopics = [...roles.keys()];
  const channels = loadChannelsConfig();
  const channelGroups = channels.channels.map((c) => channelGroupId(c.name));
  const notes: string[] = [];

  say('stack: starting what is not running');
  await stackUp((line) => say(`  ${line}`));
  say(`resetting capture and channels, seeding the sources (seed ${options.seed}, ${options.products} products)`);
  await resetCapture(endpoints, [PIPELINE_GROUP_ID, ...channelGroupIds(channels)]);
  await resetChannels({ endpoints, config: channels });
  await seedSources({ seed: options.seed, products: options.products }, endpoints);

  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-poison' });
  const registry = createSchemaRegistry(endpoints.registryUrl);
  const processes: ProductProcess[] = [];
  const crashes: PoisonReport['crashes'] = [];
  const crashed = () => {
    for (const p of processes) {
      if (p.exitCode !== null && !crashes.some((c) => c.process === p.name)) crashes.push({ process: p.name, exitCode: p.exitCode, logTail: logTail(p.log) });
    }
    return crashes.length > 0;
  };
  const lagBehind = async () => [
    ...(await behind(kafka, PIPELINE_GROUP_ID, sourceTopics)),
    ...(await Promise.all(channelGroups.map((g) => behind(kafka, g, [STOCK_LEVELS_TOPIC])))).flat(),
  ];
  const connectors = [...new Set(mappings.map((m) => m.connector).filter((c): c is string => Boolean(c)))];
  const captured = async () => (await Promise.all(connectors.map((c) => sourceCaughtUp(c)))).every((c) => c.caughtUp);
  const quiet = async () => !crashed() && (await captured()) && (await lagBehind()).length === 0 && (await outboxesEmpty(endpoints));
  const describe = async () =>
    `behind: ${JSON.stringify(await lagBehind())}; ${(await Promise.all(connectors.map((c) => sourceCaughtUp(c)))).map((c) => `${c.connector}: ${c.caughtUp ? 'caught up' : c.reason}`).join('; ')}; crashes: ${crashes.map((c) => c.process).join(', ') || 'none'}`;

  let validOperations = 0;
  let quiescenceMs: number | null = null;
  let stalledPartitions: StalledPartition[] = [];
  try {
    say('starting the pipeline and the channel fan-out as their own processes');
    processes.push(startProductProcess('poison-pipeline', ['run']), startProductProcess('poison-channels', ['channels', 'run']));
    say('applying the connectors; waiting for the snapshot to be merged');
    for (const file of connectorFiles()) await applyConnector(loadConnector(file));
    const expected = await snapshotRowCount(mappings);
    await waitStable(async () => (await mergedRows(endpoints)) >= expected && (await quiet()), {
      stableMs: 2000,
      timeoutMs: 10 * 60_000,
      describe: async () => `${await mergedRows(endpoints)}/${expected} snapshot rows merged; ${await describe()}`,
    });

    say('reading real change records to build the corpus from; registering the edited Avro schemas');
    const templates = await readTemplates(kafka, registry, roles);
    const ctx = { avroSchemas: await registerPoisonSchemas(registry, templates), referencedKeys: await referencedDimensionKeys(endpoints, templates) };

    say(`producing ${options.records} poison records while the load generator writes ${options.rate} changes/s`);
    const generator = await startLoadGenerator({ seed: options.seed, products: options.products, workers: 1, connectionsPerSource: 2 });
    let producedAt = Date.now();
    try {
      const loadFrom = Date.now();
      let producing = true;
      const production = produceCorpus(kafka, templates, ctx, kindCounts(options.records), { progress: say }).finally(() => {
        producing = false;
        producedAt = Date.now();
      });
      production.catch(() => undefined);
      while (producing || Date.now() - loadFrom < options.minLoadSeconds * 1000) {
        validOperations += (await generator.runStep(options.rate, 5000)).committed;
        if (crashed()) break;
      }
      const produced = await production;
      if (produced.skippedKinds.length > 0) notes.push(`kinds no source topic allowed: ${produced.skippedKinds.join(', ')}`);
      say(`  ${produced.total} poison records produced; ${validOperations} valid operations committed`);
    } finally {
      await generator.stop();
    }

    say('waiting for quiescence: connectors caught up, every group at lag 0, outboxes empty');
    try {
      await waitStable(quiet, { stableMs: 3000, timeoutMs: options.settleTimeoutMs, describe });
      quiescenceMs = Date.now() - producedAt;
    } catch (error) {
      notes.push(`not quiet: ${(error as Error).message}`);
      stalledPartitions = await lagBehind();
    }
    crashed();

    say('reading the poison back from the source topics and the dead letters');
    const poison = new Map<string, FoundPoison>();
    await readTopicsToEnd(kafka, sourceTopics, (record) => {
      const found = poisonOf(record);
      if (found) poison.set(placeOf(record.topic, record.partition, record.offset), found);
    });
    const letters = await readDeadLetters(kafka, { topic: DEAD_LETTER_TOPIC, timeoutMs: 300_000 });
    const matched = matchDeadLetters(poison, letters);
    for (const letter of matched.validExamples)
      notes.push(`valid record dead-lettered: ${letter.topic}[${letter.partition}]@${letter.offset} ${letter.reason}: ${letter.error}`);
    const internal = letters.filter((l) => l.reason === 'internal-error').slice(0, 3);
    for (const letter of internal) notes.push(`internal-error: ${letter.topic} ${letter.error}`);

    say('checking the canonical table and the channels against their oracles');
    const oracle = await checkAgainstOracle(endpoints);
    const channelReport = await checkChannels({ endpoints, config: channels });
    if (oracle.mismatches.length > 0) notes.push(`canonical mismatches, e.g. ${JSON.stringify(oracle.mismatches.slice(0, 3))}`);
    if (channelReport.mismatches.length > 0) notes.push(`channel mismatches, e.g. ${JSON.stringify(channelReport.mismatches.slice(0, 3))}`);

    const { validExamples: _examples, ...counts } = matched;
    const report: PoisonReport = {
      passed: false,
      ...counts,
      stalledPartitions,
      crashes,
      oracle: { canonicalMismatches: oracle.mismatches.length, channelMismatches: channelReport.mismatches.length, canonicalRows: oracle.canonicalRows },
      validOperations,
      quiescenceMs,
      durationMs: Date.now() - startedAt,
      notes,
    };
    report.passed =
      report.records >= options.records &&
      report.notDeadLettered === 0 &&
      report.unexpectedDeadLetters === 0 &&
      report.validDeadLettered === 0 &&
      report.stalledPartitions.length === 0 &&
      quiescenceMs !== null &&
      report.crashes.length === 0 &&
      report.oracle.canonicalMismatches === 0 &&
      report.oracle.channelMismatches === 0 &&
      validOperations > 0;
    if (report.records < options.records) notes.push(`only ${report.records} of ${options.records} poison records found in the source topics`);
    return report;
  } finally {
    crashed();
    for (const p of processes) await p.stop();
    await kafka.close();
  }
}
