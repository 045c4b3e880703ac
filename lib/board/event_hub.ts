/**
 * Server-sent events to every open page of one board process: each event is encoded once and queued to all
 * clients. A client whose queue passes `maxQueuedBytes` (a browser that stopped reading) is closed, so one slow
 * reader never holds the others' memory; its EventSource reconnects and catches up by its last event id.
 */

const encoder = new TextEncoder();

/** One event in the text/event-stream format (`data` must be one line: JSON is). */
export function sseEvent(event: string, data: string, id?: string): Uint8Array {
  return encoder.encode(`${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`);
}

type Client = ReadableStreamDefaultController<Uint8Array>;

export interface EventHubHooks {
  /** A client connected or went away: `clients` is how many are open. */
  readonly onClients?: (clients: number) => void;
  /** A client was closed for reading too slowly. */
  readonly onSlowClient?: () => void;
}

export class EventHub {
  /** Each open client, with the bytes of its first chunks (allowed on top of the limit). */
  private readonly clients = new Map<Client, number>();
  private readonly keepAlive: ReturnType<typeof setInterval>;

  constructor(
    private readonly maxQueuedBytes: number,
    private readonly hooks: EventHubHooks = {},
    keepAliveMs = 15_000,
  ) {
    // A comment line: proxies and browsers see traffic, and a connection that went away is noticed.
    this.keepAlive = setInterval(() => this.broadcast(encoder.encode(": keep-alive\n\n")), keepAliveMs);
  }

  /**
   * A text/event-stream body that starts with `first` and then gets every broadcast until the client leaves.
   * `first` (the whole board for a new page) does not count toward the limit: a board larger than the limit still
   * opens, and the limit is on what a page falls behind after it.
   */
  open(first: readonly Uint8Array[]): ReadableStream<Uint8Array> {
    // Held outside the closures: the cancel callback lives as long as the connection, and a closure sharing its
    // scope with `first` would keep the first chunks (megabytes for a whole board) alive with it.
    const pending = { first: first as readonly Uint8Array[] | undefined };
    let client: Client;
    // Counted in bytes: desiredSize is then minus the bytes queued and not yet taken by the connection.
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = controller;
        const chunks = pending.first ?? [];
        pending.first = undefined;
        let firstBytes = 0;
        for (const chunk of chunks) {
          controller.enqueue(chunk);
          firstBytes += chunk.byteLength;
        }
        this.clients.set(client, firstBytes);
        this.hooks.onClients?.(this.clients.size);
      },
      cancel: () => this.remove(client),
    }, new ByteLengthQueuingStrategy({ highWaterMark: 0 }));
  }

  /** Queues `chunk` to every client. */
  broadcast(chunk: Uint8Array): void {
    for (const [client, allowance] of this.clients) this.send(client, chunk, allowance);
  }

  get size(): number {
    return this.clients.size;
  }

  private send(client: Client, chunk: Uint8Array, allowance: number): void {
    if (-(client.desiredSize ?? 0) + chunk.byteLength > this.maxQueuedBytes + allowance) {
      this.hooks.onSlowClient?.();
      this.remove(client);
      try {
        client.close();
      } catch {
        // already closed by the runtime
      }
      return;
    }
    try {
      client.enqueue(chunk);
    } catch {
      this.remove(client);
    }
  }

  private remove(client: Client): void {
    if (this.clients.delete(client)) this.hooks.onClients?.(this.clients.size);
  }

  /** Ends every stream (the pages reconnect to another board process or to this one restarted). */
  close(): void {
    clearInterval(this.keepAlive);
    for (const client of [...this.clients.keys()]) {
      this.remove(client);
      try {
        client.close();
      } catch {
        // already closed
      }
    }
  }
}
