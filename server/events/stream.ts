/**
 * Turn bus notifications into an async iterable for a subscription: subscribe FIRST, then
 * read the backlog from the database, then drain what arrived meanwhile — skipping anything at
 * or below the last seq sent, so a reconnect with lastEventId gets no gap and no duplicate.
 *
 * Memory stays bounded for a slow subscriber: when more than `maxBuffered` live items wait, they
 * are dropped and the stream reads the database again from the last seq it sent (the database
 * has them all, in order), so the subscriber still gets every item exactly once.
 */
import { MAX_BUFFERED_EVENTS } from "../core/limits";

export interface Seq {
  seq: number;
}

export async function* backlogThenLive<T extends Seq>(options: {
  subscribe: (push: (item: T) => void) => () => void;
  backlog: (afterSeq: number) => T[];
  after: number;
  signal?: AbortSignal;
  /** Read the backlog in pages of this size (memory stays flat for long histories). */
  pageSize?: number;
  /** Live items kept for this subscriber before it re-syncs from the database instead. */
  maxBuffered?: number;
}): AsyncGenerator<T> {
  let buffer: T[] = [];
  let overflowed = false;
  const maxBuffered = options.maxBuffered ?? MAX_BUFFERED_EVENTS;
  let wake: (() => void) | undefined;
  const unsubscribe = options.subscribe((item) => {
    if (overflowed) return;
    buffer.push(item);
    if (buffer.length > maxBuffered) {
      buffer = [];
      overflowed = true;
    }
    wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener("abort", onAbort);
  try {
    let last = options.after;
    const pageSize = options.pageSize ?? 500;
    const readBacklog = async function* () {
      for (;;) {
        const page = options.backlog(last).slice(0, pageSize);
        for (const item of page) {
          if (item.seq <= last) continue;
          last = item.seq;
          yield item;
        }
        if (page.length < pageSize) break;
      }
    };
    yield* readBacklog();
    while (!options.signal?.aborted) {
      if (overflowed) {
        // Too much arrived while the subscriber was slow: everything is in the database.
        overflowed = false;
        yield* readBacklog();
        continue;
      }
      if (buffer.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const item = buffer.shift()!;
      if (item.seq <= last) continue;
      last = item.seq;
      yield item;
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener("abort", onAbort);
  }
}
