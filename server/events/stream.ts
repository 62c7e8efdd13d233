/**
 * Turn bus notifications into an async iterable for a subscription: subscribe FIRST, then
 * read the backlog from the database, then drain what arrived meanwhile — skipping anything at
 * or below the last seq sent, so a reconnect with lastEventId gets no gap and no duplicate.
 */
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
}): AsyncGenerator<T> {
  const buffer: T[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = options.subscribe((item) => {
    buffer.push(item);
    wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener("abort", onAbort);
  try {
    let last = options.after;
    const pageSize = options.pageSize ?? 500;
    for (;;) {
      const page = options.backlog(last).slice(0, pageSize);
      for (const item of page) {
        if (item.seq <= last) continue;
        last = item.seq;
        yield item;
      }
      if (page.length < pageSize) break;
    }
    while (!options.signal?.aborted) {
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
