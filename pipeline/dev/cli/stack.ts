import type { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from '../stack/stack.ts';

/** `stocksync stack up | down | status`. */
export function register(program: Command): void {
  const stack = program.command('stack').description('the no-Docker local stack: Kafka, Connect + Debezium, registry, source databases');

  stack
    .command('up')
    .description('start every component that is not healthy yet (idempotent)')
    .action(async () => {
      const t0 = Date.now();
      await stackUp((line) => console.log(line));
      console.log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

  stack
    .command('down')
    .description('stop the processes of the managed components `stack up` started (by pid); machine services (PostgreSQL, MariaDB, Redis) are never stopped')
    .option('--purge', 'also delete the data and generated configuration (keeps fetched jars)')
    .action(async (options: { purge?: boolean }) => {
      const stopped = await stackDown({ purge: options.purge });
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing to stop');
    });

  stack
    .command('status')
    .description("components, ports, pids, memory and health, and each connector's and task's state (exits 1 when something is down or FAILED)")
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await stackStatus();
      if (options.json) {
        console.log(JSON.stringify(status));
      } else {
        console.table(
          status.map((s) => ({
            component: s.component,
            owner: s.ownership,
            ports: s.ports.join(','),
            pid: s.pid ?? '',
            'rss MiB': s.rssMiB ?? '',
            health: s.healthy ? 'healthy' : `DOWN: ${s.problem}`,
          })),
        );
        const connectors = status.flatMap((s) => s.connectors ?? []);
        if (connectors.length > 0) console.table(connectors.map((c) => ({ connector: c.name, state: c.summary })));
      }
      if (status.some((s) => !s.healthy)) process.exitCode = 1;
    });
}
