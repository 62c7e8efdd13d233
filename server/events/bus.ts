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
  listenerCount(): number {
    return this.emitter.listenerCount("event");
  }
}
