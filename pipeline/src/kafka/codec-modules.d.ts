// Type declarations for the compression packages that ship none (kafka/codecs.ts uses them).

declare module 'lz4js' {
  /** Decompresses an LZ4 frame (the LZ4 frame format, which Kafka's record batches use). */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Compresses into one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}

declare module 'kafkajs-snappy' {
  /** The KafkaJS Snappy codec (plain Snappy, and the xerial framing the Java producer writes). */
  const createSnappyCodec: () => { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };
  export default createSnappyCodec;
}
