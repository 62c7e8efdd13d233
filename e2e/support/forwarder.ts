import { createServer, connect, type Socket } from "node:net";

export interface Forwarder {
  /** The forwarder's own origin: open the panel through it to control the browser's connections. */
  baseURL: string;
  /** Drop every open connection (SSE streams included) and refuse new ones until restore(). */
  cut(): void;
  restore(): void;
  /** How many connections are open now. */
  open(): number;
  close(): Promise<void>;
}

/**
 * A TCP forwarder in front of the panel server on another loopback port. The browser talks to the
 * panel through it, so a test can cut its connections mid-stream — a real network drop, seen by
 * the browser's EventSource exactly as a broken link or a restarted SSH tunnel would be.
 */
export async function startForwarder(targetPort: number): Promise<Forwarder> {
  const pairs = new Set<[Socket, Socket]>();
  let blocked = false;
  const server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
  return {
    baseURL: `http://127.0.0.1:${port}`,
    cut() {
      blocked = true;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    restore() {
      blocked = false;
    },
    open: () => pairs.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
