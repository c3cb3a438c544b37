/**
 * Group commit: writes that arrive together share one transaction. By default the first write of a
 * batch schedules the commit for the end of this turn of the event loop (`setImmediate`), so every
 * write made in the same turn joins it. A write with `gatherMs` waits up to that long for company
 * instead (throughput over latency, for writers under load). A full batch commits at once. One
 * batch commits at a time and writes arriving meanwhile form the next one, so batches grow with
 * the load. Each write settles only after its own batch committed. When a batch fails, its writes
 * are committed again one per transaction, so a bad write fails alone and the others are not lost.
 */
export class GroupCommit<T, R = void> {
  private queue: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private timer?: NodeJS.Timeout;
  private committing = false;

  /**
   * `commit` writes the items in one transaction and returns one result per item, in order, or
   * nothing (then each write resolves with undefined: R is void).
   */
  constructor(
    private readonly commit: (items: T[]) => Promise<R[] | void>,
    private readonly maxBatch: number,
  ) {}

  write(item: T, gatherMs = 0): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule(gatherMs);
    });
  }

  private schedule(gatherMs: number): void {
    if (this.queue.length >= this.maxBatch) void this.drain();
    else if (gatherMs > 0) this.timer ??= setTimeout(() => void this.drain(), gatherMs);
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    if (this.committing) return;
    this.committing = true;
    while (this.queue.length > 0) {
      // The batch taken now carries every write the pending timer was waiting for.
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.commitBatch(this.queue.splice(0, this.maxBatch));
    }
    this.committing = false;
  }

  private async commitBatch(batch: GroupCommit<T, R>['queue']): Promise<void> {
    try {
      const results = await this.commit(batch.map(({ item }) => item));
      batch.forEach(({ resolve }, i) => resolve(results?.[i] as R));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const write of batch) await this.commitBatch([write]);
    }
  }
}
