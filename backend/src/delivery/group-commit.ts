/**
 * Commits items in groups: an item added while a commit runs joins the next one, so a busy worker
 * writes one statement per group instead of one per item. With `gatherMs` a lone item waits that
 * long for company (throughput over latency); without it, it commits at once. Each add resolves
 * once its group is committed (or rejects with the group's error).
 */
export class GroupCommit<T> {
  private queue: Array<{ item: T; done: (error?: unknown) => void }> = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  add(item: T, gatherMs = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, done: (error) => (error ? reject(error) : resolve()) });
      if (this.queue.length >= this.maxBatch || gatherMs <= 0) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), gatherMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return;
    this.flushing = this.drain();
    await this.flushing;
    this.flushing = undefined;
    // Items that arrived while the last group committed must not wait for the next add.
    if (this.queue.length > 0) void this.flush();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.commit(batch.map(({ item }) => item));
        batch.forEach(({ done }) => done());
      } catch (error) {
        batch.forEach(({ done }) => done(error));
      }
    }
  }
}
