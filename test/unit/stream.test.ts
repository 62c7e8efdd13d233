import { describe, expect, it } from "vitest";
import { EventEmitter } from "node:events";
import { backlogThenLive } from "@/server/events/stream";

/** A store that publishes each append on the bus, like the one door does (DB first, then bus). */
function store() {
  const rows: { seq: number }[] = [];
  const bus = new EventEmitter();
  return {
    rows,
    append() {
      const row = { seq: rows.length + 1 };
      rows.push(row);
      bus.emit("e", row);
      return row;
    },
    subscribe: (push: (r: { seq: number }) => void) => {
      bus.on("e", push);
      return () => bus.off("e", push);
    },
    backlog: (after: number) => rows.filter((r) => r.seq > after).slice(0, 3),
  };
}

describe("backlogThenLive", () => {
  it("delivers the backlog then live items, each exactly once, even when they race", async () => {
    const s = store();
    for (let i = 0; i < 7; i++) s.append();
    const ac = new AbortController();
    const got: number[] = [];
    const it = backlogThenLive({ subscribe: s.subscribe, backlog: s.backlog, after: 0, signal: ac.signal, pageSize: 3 });
    for await (const r of it) {
      got.push(r.seq);
      // appends while the backlog is being read land both in the DB and on the bus
      if (r.seq === 2 || r.seq === 5) s.append();
      if (got.length === 9) {
        setTimeout(() => s.append(), 5);
      }
      if (got.length === 10) ac.abort();
      if (got.length >= 10) break;
    }
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("resumes after lastEventId without gaps or duplicates", async () => {
    const s = store();
    for (let i = 0; i < 5; i++) s.append();
    const ac = new AbortController();
    const got: number[] = [];
    for await (const r of backlogThenLive({ subscribe: s.subscribe, backlog: s.backlog, after: 3, signal: ac.signal })) {
      got.push(r.seq);
      if (r.seq === 5) setTimeout(() => s.append(), 1);
      if (r.seq === 6) break;
    }
    expect(got).toEqual([4, 5, 6]);
  });

  it("ends and unsubscribes when the signal aborts", async () => {
    const s = store();
    const ac = new AbortController();
    let listeners = -1;
    const gen = backlogThenLive({ subscribe: (p) => { const off = s.subscribe(p); return () => { off(); listeners = 0; }; }, backlog: s.backlog, after: 0, signal: ac.signal });
    const next = gen.next();
    setTimeout(() => ac.abort(), 10);
    expect((await next).done).toBe(true);
    expect(listeners).toBe(0);
  });
});

describe("backlogThenLive with a slow subscriber", () => {
  it("keeps at most maxBuffered live items, then re-reads the database: every item once, in order", async () => {
    const s = store();
    const ac = new AbortController();
    const got: number[] = [];
    let backlogReads = 0;
    const backlog = (after: number) => {
      backlogReads++;
      return s.backlog(after);
    };
    const it = backlogThenLive({ subscribe: s.subscribe, backlog, after: 0, signal: ac.signal, pageSize: 3, maxBuffered: 5 });
    s.append();
    for await (const r of it) {
      got.push(r.seq);
      // While this subscriber is "slow", 40 items arrive at once: far more than it may buffer.
      if (r.seq === 1) for (let i = 0; i < 40; i++) s.append();
      if (got.length === 41) break;
    }
    ac.abort();
    expect(got).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    // The overflow dropped the live buffer and the rest came from the database, page by page.
    expect(backlogReads).toBeGreaterThanOrEqual(1 + Math.ceil(40 / 3));
  });
});
