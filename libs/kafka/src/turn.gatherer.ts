/** What a failed request means for the callers it carried. */
export type OnSharedFailure =
  /** Every caller fails with the request's error (offsets of one OffsetCommit, say). */
  | 'fail-all'
  /**
   * Each caller's part is sent again in a request of its own, so an error stays with what caused
   * it (one record too large for the broker does not fail the other partitions' records).
   */
  | 'each-alone';

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers what callers hand over in one turn of the event loop and sends it as one request when
 * the turn ends (`setImmediate`), settling each caller with that request's outcome. The partitions
 * a stage handles at once each finish a chunk in the same turn; sent one by one, their produce
 * requests and commits would queue behind each other's round trips (kafkajs keeps one request in
 * flight per broker for an idempotent producer) and cost the broker a request each.
 */
export class TurnGatherer<T> {
  private waiting: Waiting<T>[] = [];

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly onFailure: OnSharedFailure,
  ) {}

  /** Resolves when the request carrying `item` has succeeded; rejects as `onFailure` says. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.waiting.push({ item, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const callers = this.waiting;
    this.waiting = [];
    const alone = (c: Waiting<T>) => this.send([c.item]).then(c.resolve, c.reject);
    this.send(callers.map((c) => c.item)).then(
      () => callers.forEach((c) => c.resolve()),
      (err: unknown) => {
        // A caller that had the request to itself has had its try alone.
        if (this.onFailure === 'each-alone' && callers.length > 1) callers.forEach(alone);
        else callers.forEach((c) => c.reject(err));
      },
    );
  }
}
