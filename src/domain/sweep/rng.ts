/**
 * Seeded random numbers for the samplers: a stream is keyed by a hash of (seed, trial index,
 * purpose), so trial i's draws never depend on how many were drawn before it — a restarted server
 * proposes exactly the same trials.
 */

/** A 32-bit integer hash with good avalanche (lowbias32 from Chris Wellons' hash-prospector). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** The 32-bit words of a key: a safe integer's low and high halves, or a string's UTF-16 units. */
function words(key: number | string): number[] {
  if (typeof key === 'string') return [key.length, ...Array.from(key, (c) => c.charCodeAt(0))];
  if (!Number.isSafeInteger(key)) throw new RangeError(`random stream keys must be safe integers, got ${key}`);
  const neg = key < 0 ? 1 : 0;
  const abs = Math.abs(key);
  return [abs >>> 0, Math.floor(abs / 2 ** 32) >>> 0, neg];
}

/** One 32-bit hash of a list of keys, salted. */
export function hashKeys(salt: number, keys: readonly (number | string)[]): number {
  let h = mix32(salt ^ 0x9e3779b9);
  for (const k of keys) for (const w of words(k)) h = mix32((h ^ mix32(w + 0x7f4a7c15)) >>> 0);
  return h;
}

/** A small, fast generator (sfc32, which passes PractRand) seeded from a hash of the keys. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...keys: (number | string)[]) {
    this.a = hashKeys(1, keys);
    this.b = hashKeys(2, keys);
    this.c = hashKeys(3, keys);
    this.d = hashKeys(4, keys) | 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in the open interval (0, 1), on a 2^-53 grid (never 0, never 1). */
  uniform(): number {
    const hi = this.next32() >>> 5; // 27 bits
    const lo = this.next32() >>> 6; // 26 bits
    return (hi * 2 ** 26 + lo + 0.5) / 2 ** 53;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }

  /** A standard normal draw (inverse of the CDF would do too; Box–Muller's cosine half is enough here). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
