/** A seeded pseudo-random stream (mulberry32): the same seed gives the same draws on every machine. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** One of the keys, with probability proportional to its weight. */
  pick<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [key, weight] of entries) {
      r -= weight;
      if (r < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  /**
   * A Poisson-distributed count around `mean`: exact (Knuth) for small means, the normal approximation
   * (rounded, never below zero) from 30 up, where Knuth's e^-mean would underflow long before it is slow.
   */
  poisson(mean: number): number {
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let count = 0;
      for (let p = this.next(); p > limit; p *= this.next()) count++;
      return count;
    }
    // Box–Muller: two uniform draws, one standard normal.
    const normal = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal));
  }
}
