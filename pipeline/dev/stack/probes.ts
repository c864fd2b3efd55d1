import net from 'node:net';

/** A health probe: resolves when the component answers as expected, throws (with why) otherwise. */
export type Probe = () => Promise<void>;

/** Opens and closes a TCP connection. */
export function tcpProbe(host: string, port: number): Probe {
  return () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setTimeout(2000);
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error(`no answer on ${host}:${port}`));
      });
      socket.once('error', (error) => reject(new Error(`${host}:${port}: ${error.message}`)));
    });
}

/** GETs a URL (with `headers`, e.g. credentials) and expects a 2xx answer whose body passes `check` (if given). */
export function httpProbe(url: string, check?: (body: string) => void, headers: Record<string, string> = {}): Probe {
  return async () => {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    const body = await response.text();
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 200)}`);
    check?.(body);
  };
}

/**
 * Polls `probe` until it passes or `timeoutMs` elapses. `isDead` lets a caller stop waiting as soon
 * as the process being waited for has exited. Throws the last probe error on timeout.
 */
export async function waitHealthy(probe: Probe, timeoutMs: number, isDead: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    if (isDead()) throw new Error(`the process exited (last probe: ${String((lastError as Error)?.message ?? lastError)})`);
    if (Date.now() > deadline) {
      throw new Error(`not healthy after ${timeoutMs} ms (last probe: ${String((lastError as Error)?.message ?? lastError)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
