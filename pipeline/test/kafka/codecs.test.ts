import { describe, expect, it } from 'vitest';
import { extraCodecs } from '../../src/kafka/codecs.ts';

const text = Buffer.from('{"sku":"SKU-000071","location":"STORE-02","on_hand":"46"}'.repeat(50));

describe('the extra compression codecs', () => {
  it('lz4 and snappy give back what they compressed', async () => {
    for (const codec of [extraCodecs.lz4, extraCodecs.snappy]) {
      const packed = await codec.compress({ buffer: text });
      expect(packed.length).toBeLessThan(text.length);
      expect((await codec.decompress(packed)).equals(text)).toBe(true);
    }
  });

  it("snappy reads the xerial framing of Java's snappy-java (Kafka's Java producer)", async () => {
    const block = await extraCodecs.snappy.compress({ buffer: text });
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const framed = Buffer.concat([header, Buffer.from([0, 0, 0, 0]), block]);
    framed.writeUInt32BE(block.length, 16);
    expect((await extraCodecs.snappy.decompress(framed)).equals(text)).toBe(true);
  });

  it('zstd is read only: producing it is refused with a reason', async () => {
    await expect(extraCodecs.zstd.compress({ buffer: text })).rejects.toThrow(/zstd.*not supported.*use gzip/);
  });
});
