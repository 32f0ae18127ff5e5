/**
 * Seeded randomness for the simulated provider. Everything it decides is drawn from a
 * generator seeded by a hash of the request, so the same request always gets the same
 * reply: a mission resumed after a crash replays exactly as it would have run.
 */

/** 32-bit FNV-1a over a string's UTF-16 code units, continuing from `hash`. */
export function fnv1a(text: string, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Hashes the parts in order into one 32-bit seed. A separator goes between parts so
 * `('ab', 'c')` and `('a', 'bc')` do not collide, and a final avalanche spreads
 * near-identical inputs (requests differing in one digit) across the whole range.
 */
export function hashParts(...parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) h = fnv1a(`${String(part)}\u241e`, h);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A small, fast, seeded generator (mulberry32) with the draws the simulation needs. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p` (clamped to [0, 1]). */
  chance(p: number): boolean {
    return this.next() < Math.min(1, Math.max(0, p));
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly [T, ...T[]] | readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal draw with the given median; `sigma` is the spread of the underlying normal. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Eight hex digits, for ids. */
  hex(): string {
    return Math.floor(this.next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
}
