import type { Command } from 'commander';
import { startPipeline } from '../pipeline/pipeline.ts';
import { loadMapping } from '../normalize/mapping.ts';
import { metricsRegistry } from '../pipeline/metrics.ts';

/** `stocksync run`: the pipeline process. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run the pipeline (a member of the consumer group) until SIGINT/SIGTERM')
    .option('--group <id>', 'consumer group id', 'stocksync-pipeline')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port (0 = off)', '9464')
    .option('--sources <files...>', 'mapping files to run (default: every *.yaml in schemas/sources)')
    .action(async (options: { group: string; metricsPort: string; sources?: string[] }) => {
      const mappings = options.sources?.map((file) => loadMapping(file));
      const pipeline = await startPipeline({ groupId: options.group, mappings });
      const port = Number(options.metricsPort);
      let server: import('node:http').Server | undefined;
      if (port > 0) {
        const http = await import('node:http');
        server = http.createServer(async (_req, res) => {
          res.setHeader('content-type', metricsRegistry.contentType);
          res.end(await metricsRegistry.metrics());
        });
        server.listen(port, '127.0.0.1');
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      server?.close();
      await pipeline.stop();
    });
}
