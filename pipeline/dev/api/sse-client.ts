/**
 * A minimal Server-Sent Events client over node:http for the tests and the bench (the browser test
 * uses the browser's own EventSource): parses `id`, `event` and `data` lines (the WHATWG
 * event-stream format, https://html.spec.whatwg.org/multipage/server-sent-events.html) and hands
 * each event over with the wall time its last byte arrived. It does not reconnect: a caller that
 * wants to resume opens a new client with `lastEventId`.
 */
import http from 'node:http';

/** One received event. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  /** Wall time the event was complete, ms since epoch. */
  receivedAtMs: number;
}

/** Options of {@link openSse}. */
export interface SseOptions {
  /** Sent as the `Last-Event-ID` header. */
  lastEventId?: string;
  /** Request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /** Called for every event (default: none; every event is also kept in `events` unless `keep` is false). */
  onEvent?: (event: SseEvent) => void;
  /** Keep events in `events` (default true). */
  keep?: boolean;
  agent?: http.Agent;
}

/** An open event stream. */
export interface SseClient {
  /** The response status (set once the headers arrived). */
  readonly status: number;
  readonly events: SseEvent[];
  /** Resolves when the headers arrived (status known); rejects on a connection error. */
  readonly opened: Promise<void>;
  /** Resolves when the stream ended or was closed. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens `url` as an event stream. */
export function openSse(url: string, options: SseOptions = {}): SseClient {
  const events: SseEvent[] = [];
  let status = 0;
  let endResolve: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    endResolve = resolve;
  });
  const req = http.get(url, {
    headers: { accept: 'text/event-stream', ...options.headers, ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) },
    agent: options.agent,
  });
  const opened = new Promise<void>((resolve, reject) => {
    req.on('error', (error) => {
      reject(error);
      endResolve();
    });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      resolve();
      res.setEncoding('utf8');
      let pending = '';
      let id: string | undefined;
      let event = 'message';
      let data: string[] = [];
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl).replace(/\r$/, '');
          pending = pending.slice(nl + 1);
          if (line === '') {
            if (data.length > 0) {
              const e: SseEvent = { id, event, data: data.join('\n'), receivedAtMs: Date.now() };
              if (options.keep !== false) events.push(e);
              options.onEvent?.(e);
            }
            event = 'message';
            data = [];
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          nl = pending.indexOf('\n');
        }
      });
      res.on('close', () => endResolve());
    });
  });
  opened.catch(() => undefined);
  return {
    get status() {
      return status;
    },
    events,
    opened,
    ended,
    close: () => {
      req.destroy();
      endResolve();
    },
  };
}
