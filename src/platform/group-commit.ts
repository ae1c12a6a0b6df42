/**
 * Group commit for a hot key. Every pledge on one campaign must update the campaign's row (the cap),
 * and one row takes one transaction at a time: with a transaction per pledge, throughput stops at
 * 1 / (time the row lock is held). Here concurrent items of one key wait in a queue while one
 * transaction runs, and the next transaction takes all of them at once (for pledges: one conditional
 * UPDATE for their sum; for payment notifications: one statement per table for the batch). If the
 * batch does not fit (the cap, the window) or fails in any way, each item of it is handled on its own,
 * so every caller still gets the exact answer for its own item.
 */
export class GroupCommit<I, R> {
  private readonly queues = new Map<string, { item: I; resolve(result: R): void; reject(error: unknown): void }[]>();
  private readonly running = new Set<string>();

  constructor(
    private readonly placeBatch: (key: string, items: I[]) => Promise<R[]>,
    private readonly placeAlone: (key: string, item: I) => Promise<R>,
    private readonly maxBatch = 100,
  ) {}

  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(key, queue);
      if (!this.running.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    try {
      for (let queue = this.queues.get(key); queue && queue.length > 0; queue = this.queues.get(key)) {
        const batch = queue.splice(0, this.maxBatch);
        if (batch.length === 1) {
          await this.placeAlone(key, batch[0].item).then(batch[0].resolve, batch[0].reject);
          continue;
        }
        let results: R[] | undefined;
        try {
          results = await this.placeBatch(
            key,
            batch.map((b) => b.item),
          );
        } catch {
          results = undefined;
        }
        if (results) batch.forEach((b, i) => b.resolve(results![i]));
        else await Promise.all(batch.map((b) => this.placeAlone(key, b.item).then(b.resolve, b.reject)));
      }
    } finally {
      this.running.delete(key);
      this.queues.delete(key);
    }
  }
}
