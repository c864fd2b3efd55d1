/**
 * The compression codecs a source topic may use, beyond gzip (which the Kafka client reads itself):
 * Kafka Connect's producers compress record batches with `compression.type` = `snappy`, `lz4` or
 * `zstd` (Kafka protocol, "Record Batch" attributes bits 0–2), and a client without the codec
 * cannot read the batch at all. Pure JavaScript, so `npm ci` needs no compiler:
 * - snappy: `kafkajs-snappy` (plain Snappy blocks and the xerial framing of Java's snappy-java);
 * - lz4: `lz4js` (the LZ4 frame format);
 * - zstd: `fzstd`, which only decompresses — stocksync produces its own topics uncompressed or
 *   with gzip, so producing zstd is refused.
 * kafka/client.ts registers them with the client; nothing else needs them.
 */
import createSnappyCodec from 'kafkajs-snappy';
import * as lz4 from 'lz4js';
import * as zstd from 'fzstd';

/** A codec as the Kafka client calls it: `encoder.buffer` holds the bytes to compress. */
export interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The codecs by Kafka's compression type name. */
export const extraCodecs: Record<'snappy' | 'lz4' | 'zstd', Codec> = {
  snappy: createSnappyCodec(),
  lz4: {
    compress: async (encoder) => asBuffer(lz4.compress(encoder.buffer)),
    decompress: async (buffer) => asBuffer(lz4.decompress(buffer)),
  },
  zstd: {
    compress: async () => {
      throw new Error('producing zstd-compressed batches is not supported (stocksync reads zstd only); use gzip');
    },
    decompress: async (buffer) => asBuffer(zstd.decompress(buffer)),
  },
};
