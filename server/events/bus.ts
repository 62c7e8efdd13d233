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

/** The in-process bus that subscriptions read from. Published after the DB commit. */
export class EventBus {
  private emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  publish(events: readonly BusEvent[]): void {
    for (const e of events) this.emitter.emit("event", e);
  }
  subscribe(listener: (e: BusEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
  publishActivity(items: readonly ActivityEvent[]): void {
    for (const a of items) this.emitter.emit("activity", a);
  }
  subscribeActivity(listener: (a: ActivityEvent) => void): () => void {
    this.emitter.on("activity", listener);
    return () => this.emitter.off("activity", listener);
  }
  listenerCount(): number {
    return this.emitter.listenerCount("event") + this.emitter.listenerCount("activity");
  }
}
