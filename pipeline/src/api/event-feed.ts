/**
 * Server-Sent Events of a channel's availability changes, fed by the channel's Redis stream
 * `stocksync:channel:<name>` that `channels run` writes (docs/channels.md, "Notifications").
 *
 * One feed per channel and process: one Redis connection of its own runs `XREAD BLOCK` from the
 * last id it read and writes each entry, formatted once, to every connected client — so a
 * thousand clients cost one Redis reader, not a thousand. Event id = the stream id.
 *
 * Resume (`Last-Event-ID: L`): the client joins the feed *buffering*, then the entries after L are
 * read with `XRANGE (L +` and sent, then the buffered live entries after the last one sent: no
 * entry is lost or sent twice. When the stream may no longer hold everything after L (entries were
 * trimmed and L is before the first one kept, or deleted after L; or the stream was deleted or
 * recreated since, so L is past its last id), the client gets `event: reset` (data: why, and the
 * position it now follows from) and should read the current availability again.
 *
 * Events (`text/event-stream`):
 * - `ready` (id = the feed's position when the client joined, so a reconnect resumes from there);
 * - `availability` (id = stream id; data: JSON `{ sku, quantity, previous, version, committedAtMs }`);
 * - `reset` (id = the position the client follows from now; data: JSON `{ reason, lastEventId, resumeFrom }`);
 * - a comment line `: heartbeat` every `heartbeatMs`, so proxies keep the connection.
 */
import type { ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { parseChannelChange } from '../channels/index.ts';
import { channelStream } from '../config/names.ts';

/** A stream id `ms-seq` as two bigints, for comparing. */
function idParts(id: string): [bigint, bigint] {
  const [ms, seq] = id.split('-');
  return [BigInt(ms ?? 0), BigInt(seq ?? 0)];
}

/** Negative, 0 or positive as stream id `a` is before, equal to or after `b`. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}

/** A client's outgoing stream; the feed writes formatted event text to it. */
interface Client {
  res: ServerResponse;
  /** Live entries held while its backlog is read; null once live. */
  buffer: Array<{ id: string; text: string }> | null;
  lastSent: string;
}

/** Options of {@link createChannelFeed}. */
export interface ChannelFeedOptions {
  channel: string;
  /** A Redis connection for this feed alone (it blocks in XREAD); closed by `close()`. */
  reader: Redis;
  /** For XRANGE and XINFO (shared). */
  redis: Redis;
  /** Milliseconds between heartbeat comments (default 15 000). */
  heartbeatMs?: number;
  /** A client whose unsent output exceeds this many bytes is disconnected (it reconnects with Last-Event-ID); default 4 MiB. */
  maxBufferedBytes?: number;
  onError?: (error: Error) => void;
}

/** One channel's live feed. */
export interface ChannelFeed {
  /**
   * Streams events to `res` (headers already sent) until it closes: from now, or after
   * `lastEventId` (module comment).
   */
  subscribe(res: ServerResponse, lastEventId?: string): Promise<void>;
  /** Clients connected now. */
  readonly clients: number;
  /** Ends every client's stream and stops reading. */
  close(): Promise<void>;
}

const format = (id: string, event: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Starts a channel's feed at the stream's current end. @throws the Redis error of the first read (the reader connection is then closed). */
export async function createChannelFeed(options: ChannelFeedOptions): Promise<ChannelFeed> {
  const stream = channelStream(options.channel);
  const { redis, reader } = options;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const clients = new Set<Client>();
  let closed = false;

  const last = await redis.xrevrange(stream, '+', '-', 'COUNT', 1).catch((error: Error) => {
    reader.disconnect();
    throw error;
  });
  let position = last[0]?.[0] ?? '0-0';

  const write = (client: Client, id: string, text: string): void => {
    if (compareStreamIds(id, client.lastSent) <= 0) return;
    client.lastSent = id;
    client.res.write(text);
    if (client.res.writableLength > maxBuffered) client.res.destroy();
  };

  const loop = (async () => {
    while (!closed) {
      try {
        const reply = await reader.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', stream, position);
        if (!reply) continue;
        // One write per client per read: the entries of a read are formatted once and sent together.
        const batch: Array<{ id: string; text: string }> = [];
        for (const [, entries] of reply) {
          for (const [id, fields] of entries) {
            const { sku, quantity, previous, version, committedAtMs } = parseChannelChange(id, fields);
            batch.push({ id, text: format(id, 'availability', { sku, quantity, previous, version, committedAtMs }) });
          }
        }
        const first = batch[0];
        const last = batch.at(-1);
        if (!first || !last) continue;
        position = last.id;
        const all = batch.map((b) => b.text).join('');
        for (const c of clients) {
          if (c.buffer) c.buffer.push(...batch);
          else if (compareStreamIds(first.id, c.lastSent) > 0) {
            c.lastSent = last.id;
            c.res.write(all);
            if (c.res.writableLength > maxBuffered) c.res.destroy();
          } else for (const b of batch) write(c, b.id, b.text);
        }
      } catch (error) {
        if (closed) break;
        options.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();

  const heartbeat = setInterval(() => {
    for (const c of clients) c.res.write(': heartbeat\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  /** Why the stream cannot give everything after `after`, or null when it can. */
  const gapReason = async (after: string): Promise<string | null> => {
    let info: unknown[];
    try {
      info = (await redis.call('XINFO', 'STREAM', stream)) as unknown[];
    } catch {
      return compareStreamIds(after, '0-0') > 0 ? 'the stream no longer exists (channels reset?)' : null;
    }
    const field = (name: string) => info[info.indexOf(name) + 1];
    const lastGenerated = String(field('last-generated-id') ?? '0-0');
    const maxDeleted = String(field('max-deleted-entry-id') ?? '0-0');
    const length = Number(field('length') ?? 0);
    const added = Number(field('entries-added') ?? length);
    const first = (field('first-entry') as [string, string[]] | null)?.[0] ?? null;
    if (compareStreamIds(after, lastGenerated) > 0) return `event id ${after} is after the stream's last id ${lastGenerated} (the stream was reset)`;
    if (compareStreamIds(after, maxDeleted) < 0) return `the stream no longer keeps the events after ${after} (deleted up to ${maxDeleted})`;
    // Trimming (MAXLEN, MINID) removes entries from the head; Redis 7.0 does not record their ids in
    // max-deleted-entry-id. Entries were removed (added > length) and the client's id is before the
    // first entry kept: what lay between them is gone (or, when the client saw exactly the last
    // removed entry, nothing was: a reset is then one extra read, never a lost event).
    if (added > length && (first === null ? compareStreamIds(after, lastGenerated) < 0 : compareStreamIds(after, first) < 0))
      return `the stream no longer keeps the events after ${after} (trimmed; its first entry is ${first ?? 'none'})`;
    return null;
  };

  return {
    get clients() {
      return clients.size;
    },
    async subscribe(res, lastEventId) {
      const joinedAt = position;
      const client: Client = { res, buffer: lastEventId ? [] : null, lastSent: lastEventId ?? '0-0' };
      clients.add(client);
      const done = new Promise<void>((resolve) => res.once('close', resolve));
      void done.then(() => clients.delete(client));
      res.write('retry: 2000\n\n');
      if (!lastEventId) {
        client.lastSent = position;
        res.write(format(position, 'ready', { position }));
        return done;
      }
      try {
        const gap = await gapReason(lastEventId);
        if (gap) {
          // From the feed's position when the client joined: the entries buffered since follow.
          res.write(format(joinedAt, 'reset', { reason: gap, lastEventId, resumeFrom: joinedAt }));
          client.lastSent = joinedAt;
        } else {
          let from = lastEventId;
          for (;;) {
            const entries = await redis.xrange(stream, `(${from}`, '+', 'COUNT', 1000);
            for (const [id, fields] of entries) {
              const { sku, quantity, previous, version, committedAtMs } = parseChannelChange(id, fields);
              write(client, id, format(id, 'availability', { sku, quantity, previous, version, committedAtMs }));
            }
            if (entries.length < 1000) break;
            from = entries.at(-1)?.[0] ?? from;
          }
        }
        for (const b of client.buffer ?? []) write(client, b.id, b.text);
        client.buffer = null;
      } catch (error) {
        options.onError?.(error as Error);
        res.destroy();
      }
      return done;
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      for (const c of clients) c.res.end();
      reader.disconnect();
      await loop;
    },
  };
}
