import { Option, type Command } from 'commander';
import pg from 'pg';
import { DEMAND_KINDS, rankedStockoutRisks, sendDemandSignal, startAlerts, type DemandSignal } from '../alerts/index.ts';
import { stackEndpoints } from '../config/endpoints.ts';
import { createKafkaClient } from '../kafka/client.ts';
import { serveMetrics } from '../metrics/server.ts';
import { metricsPortOption, portFrom } from './options.ts';
import { untilSignal } from './signals.ts';

/** `stocksync alerts run`: low stock, anomaly and stockout risk alerts (docs/alerts.md). */
export function register(program: Command): void {
  const alerts = program.command('alerts').description('stock alerts: low stock per channel, anomalies, stockout risk (docs/alerts.md)');
  alerts
    .command('run')
    .description('decide alerts from stock.levels and publish them to stock.alerts, the Redis stream stocksync:alerts and the webhook, until SIGINT/SIGTERM')
    .addOption(metricsPortOption('STOCKSYNC_ALERTS_METRICS_PORT', 9466))
    .action(async (options: { metricsPort: number | string }) => {
      const server = await serveMetrics(portFrom(options.metricsPort, 'STOCKSYNC_ALERTS_METRICS_PORT'), '--metrics-port', () => ({ ready: true, reasons: [] }));
      const running = await startAlerts().catch((error: unknown) => {
        server?.close();
        throw error;
      });
      console.error('stocksync alerts: running; SIGINT or SIGTERM stops it');
      await untilSignal();
      server?.close();
      await running.stop();
    });

  alerts
    .command('demand')
    .description('send one demand signal to stock.demand, as a channel app does (wanted but not available)')
    .argument('<sku>')
    .argument('<channel>')
    .addOption(new Option('--kind <kind>', 'what the customer did').choices([...DEMAND_KINDS]).default('back_in_stock_request'))
    .action(async (sku: string, channel: string, options: { kind: DemandSignal['kind'] }) => {
      const kafka = createKafkaClient(stackEndpoints().kafkaBrokers, { clientId: 'stocksync-demand' });
      try {
        await sendDemandSignal(kafka, { sku, channel, kind: options.kind, at_ms: Date.now() });
      } finally {
        await kafka.close();
      }
      console.log(`${options.kind} for ${sku} on ${channel} sent to stock.demand`);
    });

  alerts
    .command('risks')
    .description('the stockout risks raised now, most wanted first (demand signals), then least cover')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }) => {
      const client = new pg.Client(stackEndpoints().canonical);
      await client.connect();
      try {
        const risks = await rankedStockoutRisks(client);
        if (options.json) console.log(JSON.stringify(risks));
        else {
          for (const r of risks) {
            console.log(
              `${r.sku} @ ${r.location}: ${r.available} available, ${r.velocity.toFixed(2)} units/day, ${r.daysOfCover.toFixed(2)} days of cover, ${r.demand} demand signal(s)`,
            );
          }
          console.log(`${risks.length} stockout risk(s) raised`);
        }
      } finally {
        await client.end();
      }
    });
}
