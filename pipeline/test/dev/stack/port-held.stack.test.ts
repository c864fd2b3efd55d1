/**
 * Issue 16 (faults): `stack up` never reports a component healthy because some other process holds
 * its port. The warehouse PostgreSQL of this stack is stopped (by its recorded pid) and a stray
 * listener takes its port: `up` must not start a second server there, must fail naming the
 * component, the port and the holder, and must bring the real one back once the port is free.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEndpoints } from '../../../src/config/endpoints.ts';
import { connectorHealth } from '../../../src/connectors/health.ts';
import { pidFile } from '../../../dev/stack/components.ts';
import { stackPaths } from '../../../dev/stack/paths.ts';
import { isRecordAlive, listensOn, readPidRecord, stopRecorded } from '../../../dev/stack/processes.ts';
import { stackStatus, stackUp } from '../../../dev/stack/stack.ts';

const port = stackEndpoints().warehouse.port;
// Accepts connections and hangs up at once: not a PostgreSQL.
const squatter = net.createServer((socket) => socket.destroy());

afterAll(async () => {
  if (squatter.listening) await new Promise((resolve) => squatter.close(resolve));
  await stackUp(() => undefined);
});

describe('stack up with a port held by another process', () => {
  it('fails clearly instead of reporting the component healthy, and recovers once the port is free', async () => {
    const file = pidFile(stackPaths(), 'wms-postgres');
    const before = readPidRecord(file);
    if (!isRecordAlive(before)) throw new Error('wms-postgres was not started from this STOCKSYNC_HOME: this test stops only its own');
    await stopRecorded(file);
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));

    const lines: string[] = [];
    const error = await stackUp((line) => lines.push(line)).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/wms-postgres did not start/);
    expect(error?.message).toContain(`port ${port}: pid ${process.pid}`);
    expect(error?.message).toContain('not started by this stack');
    expect(lines.some((l) => l.startsWith('wms-postgres: starting'))).toBe(false);
    expect(readPidRecord(file)).toBeUndefined();

    await new Promise((resolve) => squatter.close(resolve));
    const results = await stackUp(() => undefined);
    expect(results.find((r) => r.component === 'wms-postgres')?.action).toBe('started');
    const after = readPidRecord(file)!;
    expect(listensOn(after.pid, port)).toBe(true);
    expect((await stackStatus()).filter((s) => !s.healthy)).toEqual([]);
    // The warehouse connector lost its database meanwhile; it reconnects (or `up` restarted it).
    expect((await connectorHealth(['stocksync-warehouse']))[0]!.failed).toBe(false);
  });
});
