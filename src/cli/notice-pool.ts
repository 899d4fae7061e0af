// Notices of a bulk change (welcomes, goodbyes) are sent while the next members are added,
// a bounded number at a time: each queued notice waits for its own fsync, and many in flight
// let the disk commit them together instead of one by one.
export class NoticePool {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly limit = 32) {}

  /** Starts a notice; waits first when `limit` are already in flight. */
  async add(send: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    const p: Promise<void> = send()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Waits for every notice; the first failure, if any, is thrown here. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }
}
