/**
 * A read-through cache whose answers are never older than `maxAgeMs`, for reads that many people make
 * at once (a campaign page shared into a chat group): one load per key at a time (single-flight), so N
 * requests in the same moment cost one database read, not N.
 *
 * Age is counted from the moment a load STARTS, so whatever it read was in the database at most
 * `maxAgeMs` before any request it answers arrived. A load that started longer ago than that is not
 * joined by later requests (they start a newer one), and an older load that finishes after a newer
 * one never replaces it: the value a key holds only moves forward in time, so what one process
 * answers never goes back.
 * A failed load is not kept: every request waiting on it gets the error, the next one loads again.
 */
export class FreshCache<K, V> {
  private readonly entries = new Map<K, { startedAt: number; value: V }>();
  private readonly inFlight = new Map<K, { startedAt: number; promise: Promise<V> }>();
  /** Loads started (not answers given): what the keys cost the database. */
  loads = 0;

  constructor(
    private readonly options: {
      /** 0 turns the cache off: every get loads. */
      maxAgeMs: number;
      /** Entries kept at most (the oldest stored is dropped first), so many cold keys cannot fill memory. */
      maxEntries: number;
      /** Milliseconds on a clock that only moves forward; injectable for tests. */
      now?: () => number;
    },
  ) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const now = this.options.now ? this.options.now() : performance.now();
    const fresh = (startedAt: number) => now - startedAt < this.options.maxAgeMs;
    const entry = this.entries.get(key);
    if (entry && fresh(entry.startedAt)) return Promise.resolve(entry.value);
    // The newest load in flight for this key, if it started recently enough to join.
    const inFlight = this.inFlight.get(key);
    if (inFlight && fresh(inFlight.startedAt)) return inFlight.promise;

    this.loads++;
    const startedAt = now;
    const settle = () => {
      if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
    };
    const promise = load().then(
      (value) => {
        settle();
        const current = this.entries.get(key);
        // Keep the newest read only: a slow older load must not replace what a later one found.
        if (this.options.maxAgeMs > 0 && (!current || current.startedAt <= startedAt)) {
          this.entries.delete(key);
          this.entries.set(key, { startedAt, value });
          while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
        }
        return value;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    if (this.options.maxAgeMs > 0) this.inFlight.set(key, { startedAt, promise });
    return promise;
  }
}
