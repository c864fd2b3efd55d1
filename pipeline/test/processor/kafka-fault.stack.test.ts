/**
 * Issue 16, Kafka faults: the broker frozen for 60 s (SIGSTOP, then SIGCONT) and killed with
 * SIGKILL then started again. `stocksync run` and `stocksync channels run` must keep consuming
 * afterwards (a member fenced out of its group rejoins), not live on as processes that no longer
 * consume.
 *
 * Consumption is probed with records that need no connector: an undecodable record on a pipeline
 * topic (the pipeline dead-letters it and commits past it) and a record with a bad key on
 * stock.levels (each channel dead-letters it and commits past it); a probe is consumed when the
 * groups' lag on those topics is zero again. Only this stack's own Kafka (its pid file) is signalled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../src/config/endpoints.ts';
import { createKafkaClient } from '../../src/kafka/client.ts';
import { groupLag } from '../../src/kafka/group-lag.ts';
import { channelGroupId, PIPELINE_GROUP_ID, STOCK_LEVELS_TOPIC } from '../../src/config/names.ts';
import { loadChannelsConfig } from '../../src/channels/index.ts';
import { pidFile } from '../../dev/stack/components.ts';
import { stackPaths } from '../../dev/stack/paths.ts';
import { isRecordAlive, readPidRecord } from '../../dev/stack/processes.ts';
import { stackUp } from '../../dev/stack/stack.ts';
import { eventually, pipelineTopics } from '../helpers/environment.ts';
import { startProductProcess, type ProductProcess } from '../helpers/processes.ts';

const endpoints = stackEndpoints();
const channelGroups = loadChannelsConfig().channels.map((c) => channelGroupId(c.name));
const probeTopic = pipelineTopics().find((t) => t.endsWith('.stockcurrent'))!;
let run: ProductProcess;
let channels: ProductProcess;

function kafkaPid(): number {
  const record = readPidRecord(pidFile(stackPaths(), 'kafka'));
  if (!isRecordAlive(record)) throw new Error('this stack has no live Kafka process of its own to signal');
  return record.pid;
}

/**
 * Produces one undecodable record to a pipeline topic and one bad-keyed record to stock.levels
 * (retrying while the broker comes back), then waits until the pipeline group and every channel
 * group have consumed them.
 */
async function probeConsumption(label: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-probe', logErrors: false });
    try {
      await kafka.send(probeTopic, [{ key: `probe-${label}`, value: `not avro: ${label}` }]);
      await kafka.send(STOCK_LEVELS_TOPIC, [{ key: `probe-${label}`, value: `not avro: ${label}` }]);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await kafka.close().catch(() => undefined);
    }
  }
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-test-probe', logErrors: false });
  try {
    const lags = async () => {
      const out: Record<string, number> = {};
      try {
        out[PIPELINE_GROUP_ID] = await groupLag(kafka, PIPELINE_GROUP_ID, [probeTopic]);
        for (const group of channelGroups) out[group] = await groupLag(kafka, group, [STOCK_LEVELS_TOPIC]);
      } catch (error) {
        out.error = -1;
        out[(error as Error).message] = -1;
      }
      return out;
    };
    await eventually(lags, (l) => Object.values(l).every((n) => n === 0), Math.max(1000, deadline - Date.now())).catch((error: Error) => {
      throw new Error(`${label}: ${error.message}\n--- run:\n${run.output().slice(-3000)}\n--- channels run:\n${channels.output().slice(-3000)}`);
    });
  } finally {
    await kafka.close();
  }
}

function expectAlive(): void {
  expect(run.alive(), `run exited (${run.child.exitCode ?? run.child.signalCode}):\n${run.output().slice(-4000)}`).toBe(true);
  expect(channels.alive(), `channels run exited (${channels.child.exitCode ?? channels.child.signalCode}):\n${channels.output().slice(-4000)}`).toBe(true);
}

beforeAll(async () => {
  run = startProductProcess(['run', '--metrics-port', '0']);
  channels = startProductProcess(['channels', 'run', '--metrics-port', '0']);
  await probeConsumption('start', 240_000);
  expectAlive(); // the probe was consumed by these processes, not by some other member of the groups
}, 300_000);

afterAll(async () => {
  // Whatever happened, leave this stack's Kafka running.
  try {
    process.kill(kafkaPid(), 'SIGCONT');
  } catch {
    await stackUp(() => undefined).catch(() => undefined);
  }
  await Promise.all([run?.stop(), channels?.stop()]);
}, 120_000);

describe('Kafka faults', () => {
  it('the broker frozen for 60 s (SIGSTOP, SIGCONT): run and channels run rejoin and consume', { timeout: 600_000 }, async () => {
    const pid = kafkaPid();
    process.kill(pid, 'SIGSTOP');
    try {
      await new Promise((resolve) => setTimeout(resolve, 60_000)); // the fault itself lasts 60 s
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await probeConsumption('after-sigstop', 300_000);
    expectAlive();
  });

  it('the broker killed (SIGKILL) and started again: run and channels run rejoin and consume', { timeout: 600_000 }, async () => {
    process.kill(kafkaPid(), 'SIGKILL');
    await eventually(
      async () => readPidRecord(pidFile(stackPaths(), 'kafka')),
      (record) => !isRecordAlive(record),
      30_000,
    );
    await stackUp(() => undefined);
    await probeConsumption('after-sigkill', 300_000);
    expectAlive();
  });
});
