import type { Command } from 'commander';
import { startAlerts } from '../alerts/index.ts';
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
}
