/**
 * The in-process bus that subscriptions read from (ARCHITECTURE.md §3). Only the door
 * (server/panel/door.ts) publishes, after its SQLite transaction committed; the typed map below
 * is every kind of message there is.
 */
import { EventEmitter } from "node:events";

/** One event as the API and subscriptions see it: the events row with its `seq`. */
export interface BusEvent {
  seq: number;
  id: string;
  runId: string;
  workerId: string | null;
  type: string;
  message: string;
  path: string | null;
  data: unknown;
  createdAt: string;
}

/** One agent step as the API and subscriptions see it: the activity row with its `seq`. */
export interface ActivityEvent {
  seq: number;
  runId: string;
  workerId: string;
  attempt: number;
  line: number;
  kind: string;
  text: string;
  data: unknown;
  createdAt: string;
}

/** Every kind of message on the bus. */
export interface BusMessages {
  /** Lifecycle events of runs (events.jsonl, mirrored in the `events` table). */
  event: BusEvent;
  /** Agent activity rows (the `activity` table). */
  activity: ActivityEvent;
}

export type BusKind = keyof BusMessages;

export class EventBus {
  private emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish<K extends BusKind>(kind: K, items: readonly BusMessages[K][]): void {
    for (const item of items) this.emitter.emit(kind, item);
  }
  subscribe<K extends BusKind>(kind: K, listener: (item: BusMessages[K]) => void): () => void {
    this.emitter.on(kind, listener);
    return () => this.emitter.off(kind, listener);
  }
  listenerCount(): number {
    return this.emitter.listenerCount("event") + this.emitter.listenerCount("activity");
  }
}
