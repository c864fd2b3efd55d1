import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../dev/chaos/stores.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Listens on 127.0.0.1 at `port` (0: any); resolves with the port. */
const listen = (port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });

describe('freePort', () => {
  it('finds a port above 32767 (a second stack chaos base such as 44500), skipping taken ones and listeners', async () => {
    const busy = await listen(0);
    expect(freePort(busy)).toBeGreaterThan(busy);
    expect(freePort(44500, new Set([44500]))).toBeGreaterThan(44500);
  });

  it('rejects a base that is not a port, and says when none is left', () => {
    expect(() => freePort(70000)).toThrow('not a TCP port');
    expect(() => freePort(65535, new Set([65535]))).toThrow('no free TCP port between 65535 and 65535');
  });
});
