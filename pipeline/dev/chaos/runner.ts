/**
 * `stocksync chaos`: the fault matrix of issue 16 on the real stack, with the product running as
 * in production and the load generator writing the sources at a fixed rate.
 *
 * Set-up: `stack up`; the chaos run's own canonical PostgreSQL, Redis, web shop MariaDB and
 * marketplace PostgreSQL (stores.ts); capture, channels and those stores reset, the samples seeded,
 * two `stocksync run` and one `stocksync channels run` started as their own processes
 * (supervisor.ts), the connectors applied and the snapshot merged; then the load generator warms
 * up for 10 s and the run waits until caught up.
 *
 * Per fault (faults.ts): the load generator runs for the load window; a third of the way in, the
 * fault is applied — SIGKILL and at once a restart the way a supervisor would (re-spawn of a product
 * process, `stack up` for a stack component, a restart of a chaos store), or SIGSTOP for the pause
 * time and SIGCONT. The load window ends, the load stops; the run waits until caught up
 * (caught-up.ts; meanwhile, like a supervisor, it starts again any product process that exited and
 * restarts FAILED connector tasks, and counts both), then runs the canonical oracle (the samples'
 * SQL oracles) and the channel oracle, and counts the dead letters the fault produced. At the end
 * it reads stock.levels once and counts, per fault window, the versions applied twice
 * (duplicates.ts).
 */
import { checkChannels, channelGroupIds, loadChannelsConfig, resetChannels } from '../../src/channels/index.ts';
import { DEAD_LETTER_TOPIC, PIPELINE_GROUP_ID } from '../../src/config/names.ts';
import { applyConnector, connectorFiles, loadConnector } from '../../src/connectors/apply.ts';
import { restartFailed } from '../../src/connectors/health.ts';
import { createKafkaClient, type KafkaClient } from '../../src/kafka/client.ts';
import { loadMappings } from '../../src/normalize/index.ts';
import { snapshotRowCount } from '../../src/sources/source-database.ts';
import { readCanonicalEvents } from '../bench/canonical-events.ts';
import { mergedRows } from '../bench/latency.ts';
import { machineRecorder } from '../bench/report.ts';
import { resetCapture, seedSources } from '../demo/environment.ts';
import { checkAgainstOracle } from '../demo/oracle-check.ts';
import { startLoadGenerator, type LoadGenerator } from '../load/generator.ts';
import type { SampleSource } from '../sample/shared/workload.ts';
import { stackUp } from '../stack/stack.ts';
import { catchUpCheck, type CatchUpState } from './caught-up.ts';
import { countInWindow, findDuplicates } from './duplicates.ts';
import type { Fault } from './faults.ts';
import { LoadMeter } from './load-meter.ts';
import { rowPassed, type ChaosReport, type ChaosRow } from './report.ts';
import { signalComponent, waitGone } from './stack-signals.ts';
import { startChaosStores, type ChaosStores } from './stores.ts';
import { ProductSupervisor } from './supervisor.ts';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  faults: Fault[];
  /** Target source changes per second (default 1000). */
  rate?: number;
  /** Load generator worker processes (default 2) and connections per source in each (default {@link DEFAULT_LOAD_CONNECTIONS}). */
  loadWorkers?: number;
  loadConnections?: number;
  /** Share of the load's operations per source (default {@link CHAOS_SHARES}). */
  shares?: Partial<Record<SampleSource, number>>;
  /** Seconds of load per fault (default 20). */
  loadSeconds?: number;
  /** Seconds a paused process stays stopped (default 30: above the session timeouts of the consumers, 20 s, and of Connect, 10 s). */
  pauseSeconds?: number;
  /** How long a fault may take to be caught up before its row fails (default 300 s). */
  recoveryTimeoutSeconds?: number;
  /** Sample seed and product count (default 42, 1000). */
  seed?: number;
  products?: number;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

export const DEFAULT_RATE = 1000;
/** How long the load generator writes before the first fault (see the warm-up in {@link runChaos}). */
const WARM_UP_MS = 10_000;
/**
 * Connections per source in each load worker: 16, not the generator's 8. Each connection runs one
 * operation at a time, so with the product and the stack on the same 2 busy cores an operation's
 * round trips take longer and more must be in flight to hold the rate (measured with Debezium
 * capturing, 1,500 asked for, the 90/8/2 mix: 1,051 changes/s with 8 in one run, 732–1,547 with 16
 * in six; the machine's other work moved the figure as much as the setting, see docs/operations.md).
 * Not 32: POS and ERPNext share one MariaDB, and 2 × 32 × 2 connections near its 151.
 */
export const DEFAULT_LOAD_CONNECTIONS = 16;

/**
 * The chaos load's split of operations: 90 % POS tickets, 8 % warehouse, 2 % ERPNext, not the
 * generator's 75/20/5. Per change a warehouse operation costs several times a POS ticket (7–12
 * round trips for about 2 changes against one for about 2.4), so on 2 cores shared with the
 * product the POS-heavy mix leaves the product more of the machine at the same change rate
 * (measured with Debezium capturing, 1,500 asked for, 16 connections, two paired runs: generator +
 * MariaDB + warehouse PostgreSQL 800–940 µs CPU per change and 785–847 changes/s with 75/20/5,
 * 520–700 µs and 1,085–1,528 changes/s with 90/8/2). Warehouse and ERPNext still write during every fault
 * (about 33 and 8 operations/s at 1,000 changes/s).
 */
export const CHAOS_SHARES: Readonly<Record<SampleSource, number>> = { pos: 0.9, warehouse: 0.08, erpnext: 0.02 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records in the dead-letter topic so far (0 before it exists). */
async function deadLetterCount(kafka: KafkaClient): Promise<number> {
  if (!(await kafka.listTopics()).includes(DEAD_LETTER_TOPIC)) return 0;
  return (await kafka.endOffsets(DEAD_LETTER_TOPIC)).reduce((a, p) => a + Number(p.offset), 0);
}

/** Runs the matrix; never throws for a fault that was not survived (its row fails), only for a broken set-up. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const rate = options.rate ?? DEFAULT_RATE;
  const loadMs = (options.loadSeconds ?? 20) * 1000;
  const pauseMs = (options.pauseSeconds ?? 30) * 1000;
  const recoveryTimeoutMs = (options.recoveryTimeoutSeconds ?? 300) * 1000;
  const seed = options.seed ?? 42;
  const products = options.products ?? 1000;
  const say = options.progress ?? (() => undefined);
  const finishMachine = machineRecorder();
  const notes: string[] = [];
  const channels = loadChannelsConfig();
  const channelNames = channels.channels.map((c) => c.name);

  say('stack: starting what is not running');
  await stackUp((line) => say(`  ${line}`));
  say("starting the chaos run's own canonical PostgreSQL, marketplace PostgreSQL, Redis and web shop MariaDB");
  const stores = await startChaosStores();
  const { endpoints } = stores;
  say(`  canonical :${endpoints.canonical.port}, marketplace :${endpoints.marketplace.port}, redis ${endpoints.redisUrl}, webshop :${endpoints.webshop.port}`);
  const supervisor = new ProductSupervisor(stores.env);
  const kafka = createKafkaClient(endpoints.kafkaBrokers, { clientId: 'stocksync-chaos' });
  let generator: LoadGenerator | null = null;
  const rows: ChaosRow[] = [];
  const windows: Array<{ fromMs: number; toMs: number }> = [];
  try {
    say(`resetting capture and channels, seeding the sources (seed ${seed}, ${products} products)`);
    await resetCapture(endpoints, [PIPELINE_GROUP_ID, ...channelGroupIds(channels)]);
    await resetChannels({ endpoints, config: channels });
    await seedSources({ seed, products }, endpoints);

    say('starting two `stocksync run` and one `stocksync channels run` (logs: <stack logs>/chaos-*.log)');
    supervisor.startAll();
    const check = catchUpCheck(kafka, endpoints, channelNames);
    let connectorRestarts = 0;
    let lastTaskCheck = 0;
    /** One supervisor round: restart exited processes and (every 5 s, as a timer would) FAILED tasks, counted; then the state. */
    const superviseAndCheck = async (): Promise<CatchUpState> => {
      for (const line of supervisor.restartExited()) say(`  supervisor: ${line}`);
      if (Date.now() - lastTaskCheck >= 5000) {
        lastTaskCheck = Date.now();
        const outcomes = await restartFailed(undefined, { timeoutMs: 30_000 }).catch(() => []);
        for (const o of outcomes) say(`  supervisor: ${o.name} was ${o.before.summary}; restarted: ${o.after.summary}`);
        connectorRestarts += outcomes.length;
      }
      return check();
    };
    /** Waits until caught up for 2 s; null when not within the timeout (the last state's reason in `lastReason`). */
    let lastReason = '';
    const waitCaughtUp = async (timeoutMs: number): Promise<number | null> => {
      const deadline = Date.now() + timeoutMs;
      let since: number | null = null;
      let lastSaid = 0;
      for (;;) {
        const state = await superviseAndCheck();
        lastReason = state.reason;
        if (state.caughtUp) {
          since ??= Date.now();
          if (Date.now() - since >= 2000) return since;
        } else {
          since = null;
          if (Date.now() - lastSaid > 15_000) {
            lastSaid = Date.now();
            say(`  waiting: ${state.reason}`);
          }
        }
        if (Date.now() > deadline) return null;
        await sleep(1000);
      }
    };

    say('applying the connectors; waiting for the snapshot to be merged');
    for (const file of connectorFiles()) await applyConnector(loadConnector(file));
    const expected = await snapshotRowCount(loadMappings());
    const snapshotDeadline = Date.now() + 15 * 60_000;
    while ((await mergedRows(stores.endpoints)) < expected) {
      if (Date.now() > snapshotDeadline) throw new Error(`snapshot not merged after 15 min: ${await mergedRows(stores.endpoints)}/${expected} rows`);
      supervisor.restartExited();
      await sleep(1000);
    }
    if ((await waitCaughtUp(10 * 60_000)) === null) throw new Error(`not caught up after the snapshot: ${lastReason}`);
    const baseline = await checkAgainstOracle(endpoints);
    const baselineChannels = await checkChannels({ endpoints, config: channels });
    say(`snapshot merged: ${baseline.canonicalRows} canonical rows, ${baseline.mismatches.length} + ${baselineChannels.mismatches.length} oracle mismatches`);
    if (baseline.mismatches.length + baselineChannels.mismatches.length > 0) {
      notes.push(`before any fault the oracles found ${baseline.mismatches.length} canonical and ${baselineChannels.mismatches.length} channel mismatches`);
    }
    supervisor.takeUnplannedExits();
    connectorRestarts = 0;

    // What the generators wrote in the current load window, and for how long (a new generator numbers its steps from 1 again).
    const meter = new LoadMeter();
    const newGenerator = () =>
      startLoadGenerator({
        seed,
        products,
        workers: options.loadWorkers ?? 2,
        connectionsPerSource: options.loadConnections ?? DEFAULT_LOAD_CONNECTIONS,
        shares: options.shares ?? CHAOS_SHARES,
        onCommit: (ops) => {
          meter.count(ops);
        },
      });

    // A new generator's first seconds are slow (new worker processes, most likely their code not
    // yet optimized: 614 changes/s in the first 12 s step against 990 and 988 in the two after it,
    // 1,000 asked for), so the load is already running when the first fault's window begins. Not
    // counted in any row.
    say(`warming the load generator up: ${WARM_UP_MS / 1000} s at ${rate} changes/s, then waiting until caught up`);
    generator = await newGenerator();
    await generator.runStep(rate, WARM_UP_MS);
    if ((await waitCaughtUp(recoveryTimeoutMs)) === null) notes.push(`not caught up after the load generator's warm-up: ${lastReason}`);
    supervisor.takeUnplannedExits();
    connectorRestarts = 0;

    for (const fault of options.faults) {
      say(`fault ${fault.name}: ${fault.what}`);
      const rowNotes: string[] = [];
      generator ??= await newGenerator();
      const deadBefore = await deadLetterCount(kafka);
      const loadFrom = Date.now();
      windows.push({ fromMs: loadFrom, toMs: Number.POSITIVE_INFINITY });
      if (windows.length > 1) windows[windows.length - 2]!.toMs = loadFrom;
      meter.start();
      const load = generator.runStep(rate, loadMs).then(
        (r) => {
          meter.stepRan(r);
          return null;
        },
        (error: Error) => {
          meter.stepFailed(loadFrom, Date.now());
          return error;
        },
      );
      await sleep(loadMs / 3);
      const faultAt = Date.now();
      let restartS: number | null = null;
      try {
        restartS = await applyFault(fault, { supervisor, stores, pauseMs, say });
      } catch (error) {
        rowNotes.push(`the fault or its restart failed: ${(error as Error).message.split('\n')[0]}`);
      }
      const loadError = await load;
      if (loadError) {
        // A killed source takes the generator's connections with it: once the source is back, a new
        // generator writes the rest of the window (at least 5 s), so capture must resume under load.
        rowNotes.push(
          `the load generator lost its connections (${(loadError.message.split('\n')[0] ?? '').slice(0, 160)}); a new one wrote the rest of the window`,
        );
        await generator.stop().catch(() => undefined);
        generator = null;
        try {
          generator = await newGenerator();
          const r = await generator.runStep(rate, Math.max(5000, loadFrom + loadMs - Date.now()));
          meter.stepRan(r);
        } catch (error) {
          rowNotes.push(`the second load generator failed too: ${(error as Error).message.split('\n')[0]}`);
          await generator?.stop().catch(() => undefined);
          generator = null;
        }
      }
      meter.stop();
      const changesPerS = meter.changesPerSecond();
      const caughtUpAt = await waitCaughtUp(recoveryTimeoutMs);
      if (caughtUpAt === null) rowNotes.push(`not caught up after ${recoveryTimeoutMs / 1000} s: ${lastReason}`);
      const oracle = await checkAgainstOracle(endpoints).catch((error: Error) => ({ mismatches: [{ error: error.message }] }));
      const channelReport = await checkChannels({ endpoints, config: channels }).catch((error: Error) => ({ mismatches: [{ error: error.message }] }));
      const deadLetters = (await deadLetterCount(kafka)) - deadBefore;
      const exits = supervisor.takeUnplannedExits();
      rowNotes.push(...exits);
      if (connectorRestarts > 0)
        rowNotes.push(`${connectorRestarts} FAILED connector(s) restarted while catching up (as a \`connectors restart\` timer would)`);
      for (const m of oracle.mismatches.slice(0, 3)) rowNotes.push(`canonical mismatch ${JSON.stringify(m)}`);
      for (const m of channelReport.mismatches.slice(0, 3)) rowNotes.push(`channel mismatch ${JSON.stringify(m)}`);
      const row: Omit<ChaosRow, 'passed'> = {
        fault: fault.name,
        action: fault.action,
        changesPerS,
        restartS: restartS === null ? null : Math.round(restartS * 10) / 10,
        recoveryS: caughtUpAt === null ? null : Math.round((caughtUpAt - faultAt) / 100) / 10,
        canonicalMismatches: oracle.mismatches.length,
        channelMismatches: channelReport.mismatches.length,
        duplicates: 0,
        republished: 0,
        deadLetters,
        restartedBySupervisor: exits.length + connectorRestarts,
        operator: null,
        notes: rowNotes,
      };
      connectorRestarts = 0;
      const passed = rowPassed(row);
      rows.push({ ...row, passed, operator: caughtUpAt === null ? fault.operator : null });
      say(
        `  ${passed ? 'PASS' : 'FAIL'}: recovery ${row.recoveryS ?? '-'} s, mismatches ${row.canonicalMismatches} / ${row.channelMismatches}, dead letters ${deadLetters}, load ${changesPerS} of ${rate} changes/s`,
      );
    }

    say('reading stock.levels: versions applied twice, records published twice');
    const events = await readCanonicalEvents(kafka, endpoints.registryUrl);
    const { appliedTwice, republished } = findDuplicates(events);
    rows.forEach((row, i) => {
      const w = windows[i];
      if (!w) return;
      row.duplicates = countInWindow(appliedTwice, w.fromMs, w.toMs);
      row.republished = countInWindow(republished, w.fromMs, w.toMs);
      const first = appliedTwice.find((v) => v.updatedAtMs >= w.fromMs && v.updatedAtMs < w.toMs);
      if (first) row.notes.push(`applied twice, e.g. ${JSON.stringify(first)}`);
      row.passed = rowPassed(row);
    });
    // Snapshot records of a connector share one source position, so repeats before the first fault say nothing.
    const snapshotRepeats = countInWindow(appliedTwice, 0, windows[0]?.fromMs ?? Number.POSITIVE_INFINITY);
    notes.push(
      `${events.length} stock.levels records read; duplicates = versions written in a fault's window by a source change that had already made an earlier version of the row (${snapshotRepeats} repeats of a snapshot position before the first fault not counted: snapshot records share one position); republished = records of a version already published`,
    );
  } finally {
    await generator?.stop().catch(() => undefined);
    await supervisor.stopAll();
    await kafka.close().catch(() => undefined);
    await stores.destroy();
  }
  return {
    rate,
    loadSeconds: loadMs / 1000,
    pauseSeconds: pauseMs / 1000,
    machine: finishMachine(),
    rows,
    passed: rows.length > 0 && rows.every((r) => r.passed),
    notes,
  };
}

/**
 * Applies one fault and what a supervisor does about it. Returns the seconds from the signal to
 * the part being back (started again and answering, or resumed).
 * @throws Error when the part cannot be signalled or does not come back.
 */
async function applyFault(
  fault: Fault,
  ctx: { supervisor: ProductSupervisor; stores: ChaosStores; pauseMs: number; say: (line: string) => void },
): Promise<number> {
  const t0 = Date.now();
  const { target } = fault;
  if (fault.action === 'pause') {
    const resume =
      target.layer === 'stack'
        ? (() => {
            signalComponent(target.component, 'SIGSTOP');
            return () => signalComponent(target.component, 'SIGCONT');
          })()
        : target.layer === 'store'
          ? (() => {
              const server = ctx.stores.servers[target.server];
              server.pause();
              return () => server.resume();
            })()
          : null;
    if (!resume) throw new Error(`${fault.name}: a product process is not paused by this matrix`);
    ctx.say(`  stopped (SIGSTOP); resuming in ${ctx.pauseMs / 1000} s`);
    try {
      await sleep(ctx.pauseMs);
    } finally {
      resume();
    }
    return (Date.now() - t0) / 1000;
  }
  if (target.layer === 'product') {
    await ctx.supervisor.killAndRestart(target.process);
    ctx.say(`  killed and started again`);
  } else if (target.layer === 'store') {
    const server = ctx.stores.servers[target.server];
    await server.kill();
    ctx.say('  killed; starting it again');
    await server.start();
  } else {
    const pid = signalComponent(target.component, 'SIGKILL');
    await waitGone(pid);
    ctx.say(`  killed (pid ${pid}); \`stack up\``);
    // A killed server's files may be held a moment (PostgreSQL's shared memory by exiting backends): try `up` again.
    for (let attempt = 1; ; attempt++) {
      try {
        await stackUp((line) => ctx.say(`    ${line}`));
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
        ctx.say(`    stack up failed (${(error as Error).message.split('\n')[0]}); again`);
        await sleep(3000);
      }
    }
  }
  return (Date.now() - t0) / 1000;
}
