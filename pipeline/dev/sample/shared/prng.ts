/**
 * Seeded pseudo-random numbers for the sample data and workload.
 *
 * Everything in `pipeline/dev/sample/` draws from these generators, never from `Math.random`, so a
 * seed reproduces the same catalogue, the same initial stock and the same sequence of operations.
 */

/**
 * mulberry32: a 32-bit state PRNG, fast and good enough for test data (not for cryptography).
 *
 * @param seed - any integer; only its low 32 bits are used.
 * @returns a function yielding floats uniformly distributed in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives an independent 32-bit seed for a named stream from a base seed, so that (for example) the
 * POS and warehouse workloads do not shift each other's random sequences.
 *
 * @param seed - base seed (integer).
 * @param stream - stream name, e.g. `"pos"`; hashed with FNV-1a and mixed with a murmur3 finaliser.
 * @returns an unsigned 32-bit integer.
 */
export function deriveSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < stream.length; i++) {
    h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Convenience wrapper around {@link mulberry32} with the draws the sample code needs. */
export class Rng {
  private readonly next: () => number;

  /** @param seed - integer seed; equal seeds give equal sequences. */
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** @returns a float in [0, 1). */
  float(): number {
    return this.next();
  }

  /**
   * @param min - inclusive lower bound (integer).
   * @param max - inclusive upper bound (integer, >= min).
   * @returns an integer uniformly drawn from [min, max].
   */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** @returns true with probability `p` (0..1). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** @returns a uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /**
   * @param weights - non-negative weights, at least one positive.
   * @returns the index chosen with probability proportional to its weight.
   */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new Error('Rng.weighted: weights must have a positive sum');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1; // float rounding left r at ~0
  }

  /** @returns a new array with the elements of `items` in a random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** @returns a lowercase RFC 4122 version-4-shaped UUID string built from this generator. */
  uuid(): string {
    const hex: string[] = [];
    for (let i = 0; i < 16; i++)
      hex.push(
        Math.floor(this.next() * 256)
          .toString(16)
          .padStart(2, '0'),
      );
    hex[6] = '4' + (hex[6] as string)[1];
    hex[8] = ((parseInt(hex[8] as string, 16) & 0x3f) | 0x80).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/**
 * Zipf-distributed ranks: rank r (0-based) has weight 1 / (r + 1)^exponent. With exponent ~1.1 a
 * few items dominate, as in real retail sales.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array;

  /**
   * @param n - number of ranks (>= 1).
   * @param exponent - skew; 0 is uniform, ~1.1 is typical retail popularity.
   */
  constructor(
    n: number,
    readonly exponent = 1.1,
  ) {
    if (!(n >= 1)) throw new Error(`ZipfSampler: n must be >= 1, got ${n}`);
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let r = 0; r < n; r++) {
      acc += zipfWeight(r, exponent);
      this.cdf[r] = acc;
    }
  }

  /** Number of ranks. */
  get size(): number {
    return this.cdf.length;
  }

  /** @returns a 0-based rank, low ranks being the most likely. */
  sample(rng: Rng): number {
    const target = rng.float() * (this.cdf[this.cdf.length - 1] as number);
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** @returns the unnormalised Zipf weight of a 0-based rank: 1 / (rank + 1)^exponent. */
export function zipfWeight(rank: number, exponent = 1.1): number {
  return 1 / (rank + 1) ** exponent;
}
