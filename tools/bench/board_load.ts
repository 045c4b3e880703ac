/**
 * The board under load (issue 17): a real board process on the bench Redis, its work stream written at the seed's
 * rates (1,000 flights an hour of 300 bags: one flight every 3.6 s in one MULTI, one flight in ten corrected later),
 * and N event-stream clients of this process held for S seconds. The stream starts as a board at the seed's rates
 * sees it (every flight arriving within the window and the grace period, 250), so each page's first event is the
 * whole board. Measured: entry to client (receive time minus the ms of the event's id), clients dropped, clients that
 * missed a (flight, revision) written during the hold, the board's RSS with no client and with N, and CPU.
 */
import { connectRedis, type Redis } from "../../lib/infra/redis.ts";
import { delay } from "../../lib/infra/poll.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { readProcFile } from "../processes.ts";
import { seededRandom } from "../seeded_random.ts";
import { cpuSeconds, stackPids } from "./cpu.ts";
import { startWorker, type Worker } from "./workers.ts";

const STREAM = "stream:bench_board_work";
/** The bench Redis' database of this stage (0 to 3 are the other stages'). */
const DB = 4;
const WINDOW_SECONDS = 600;
const GRACE_SECONDS = 300;
const FLIGHT_EVERY_MS = 3_600;
const BAGS_PER_FLIGHT = 300;
const CORRECTED_SHARE = 0.1;
/** Clients connecting at once while the N connect (each is sent the whole board first). */
const CONNECTING_AT_ONCE = 20;
/** After the hold, how long the last flights written may take to reach every client. */
const SETTLE_MS = 10_000;
/** After the clients close, how long board_clients may take to reach 0. */
const LEFT_WAIT_MS = 20_000;

export interface BoardLoadOptions {
  readonly clients: number;
  readonly seconds: number;
  readonly seed: number;
  /** The bench Redis' URL of database `db`. */
  readonly redisUrl: (db: number) => string;
}

/** p50, p99 and max in ms of `count` latencies. */
export interface LatencyFigures {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface BoardLoad {
  readonly clients: number;
  readonly seconds: number;
  readonly prefill: { readonly flights: number; readonly revisions: number; readonly entries: number };
  /** Written during the hold: new flights, corrections, entries. */
  readonly written: { readonly flights: number; readonly corrections: number; readonly entries: number };
  readonly connect: {
    readonly seconds: number;
    /** The board's CPU seconds per second while the clients connected. */
    readonly boardCores: number;
    readonly firstEventBytes: number;
    readonly firstEventFlights: { readonly min: number; readonly max: number };
    /** Entry to client of the flights written while the clients connected. */
    readonly latency: LatencyFigures;
  };
  /** `flights` events received during the hold and the settling after it, by all clients. */
  readonly events: number;
  /** Entry to client of every event of an entry written during the hold, at every client. */
  readonly latency: LatencyFigures;
  readonly dropped: number;
  readonly droppedReasons: readonly string[];
  /** Clients that did not receive some (flight, revision) written during the hold. */
  readonly missed: number;
  readonly keepAlivesMin: number;
  readonly board: {
    /** With no client (the first flights in), with the N at the end of the hold, and once the board saw them leave. */
    readonly idle: BoardMemory;
    readonly loaded: BoardMemory;
    readonly afterClose: BoardMemory & { readonly clients: number };
    /** From closing the clients to board_clients 0 (or LEFT_WAIT_MS). */
    readonly leftSeconds: number;
    readonly peakRssBytes: number | undefined;
    /** RSS loaded minus idle, over N. */
    readonly kibPerClient: number;
    readonly clientsMetric: number;
    readonly slowClientsClosed: number;
  };
  /** CPU seconds per second of the hold: the board, Redis, this process (writer and clients). */
  readonly cpuCores: Record<string, number>;
}

export const percentiles = (values: readonly number[]): LatencyFigures => {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? NaN };
};

/** Runs the stage. */
export async function boardLoadStage(options: BoardLoadOptions, step: (message: string) => void): Promise<BoardLoad> {
  checkFileLimit(options.clients);
  const redis = await connectRedis(options.redisUrl(DB), "bench-board");
  await redis.flushdb();
  const traffic = new BoardTraffic(redis, seededRandom(options.seed));
  let worker: Worker | undefined;
  const clients: EventClient[] = [];
  try {
    const flights = Math.round((WINDOW_SECONDS + GRACE_SECONDS) * 1000 / FLIGHT_EVERY_MS);
    step(`board: the stream as the seed's rates leave it (${flights} flights)`);
    const prefill = await traffic.prefill();
    worker = await startWorker({
      service: "board",
      name: "board",
      env: {
        ...environment(),
        REDIS_URL: options.redisUrl(DB),
        WORK_STREAM: STREAM,
        BOARD_HOST: "127.0.0.1",
        BOARD_PORT: "0",
        SCAN_WINDOW_SECONDS: String(WINDOW_SECONDS),
        SCAN_GRACE_SECONDS: String(GRACE_SECONDS),
      },
    });
    const board = worker;
    const url = `http://127.0.0.1:${boardPort(board.child.output())}/events`;
    const writing = traffic.run();
    await delay(2 * FLIGHT_EVERY_MS);
    const idle = await memory(board);

    step(`board: ${options.clients} clients connecting, ${CONNECTING_AT_ONCE} at once`);
    const connectStart = Date.now();
    const connectCpu = cpuSeconds(board.child.pid);
    for (let i = 0; i < options.clients; i += CONNECTING_AT_ONCE) {
      const group = Array.from({ length: Math.min(CONNECTING_AT_ONCE, options.clients - i) }, () => new EventClient());
      clients.push(...group);
      for (const client of group) client.open(url);
      await Promise.all(group.map((client) => client.connected));
    }
    const holdStartMs = Date.now();
    const connectSeconds = (holdStartMs - connectStart) / 1000;
    const connectBoardCores = (cpuSeconds(board.child.pid) - connectCpu) / connectSeconds;

    step(`board: holding ${options.clients} clients for ${options.seconds} s`);
    const pids: Record<string, number> = { board: board.child.pid, ...stackPids(), bench: Deno.pid };
    delete pids["kafka-broker"];
    const cpuStart = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
    const holdEndMs = holdStartMs + options.seconds * 1000;
    await traffic.stopAt(holdEndMs, writing);
    const cpuCores = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, (cpuSeconds(pid) - cpuStart[name]!) / options.seconds]),
    );
    const loaded = await memory(board);
    const clientsMetric = await board.metric("board_clients");

    const run = traffic.writes.filter((write) => write.idMs >= holdStartMs);
    const expected = run.map((write) => write.key);
    const live = () => clients.filter((client) => client.droppedReason === undefined);
    const deadline = Date.now() + SETTLE_MS;
    while (Date.now() < deadline && live().some((client) => expected.some((key) => !client.seen.has(key)))) {
      await delay(200);
    }
    const dropped = clients.filter((client) => client.droppedReason !== undefined);
    const slowClientsClosed = await board.metric("board_slow_clients_closed_total");
    for (const client of clients) client.close();
    // The board sees each connection close and forgets the page: board_clients falls to 0 within a second here.
    const closedMs = Date.now();
    while (Date.now() - closedMs < LEFT_WAIT_MS && await board.metric("board_clients") > 0) await delay(500);
    const afterClose = { ...await memory(board), clients: await board.metric("board_clients") };
    const leftSeconds = (Date.now() - closedMs) / 1000;
    const peakRssBytes = board.child.peakRssBytes();

    const latencies = (from: number, to: number) =>
      percentiles(clients.flatMap((client) => client.latenciesOfEntries(from, to)));
    const firstFlights = clients.map((client) => client.firstEventFlights);
    return {
      clients: options.clients,
      seconds: options.seconds,
      prefill,
      written: {
        flights: run.filter((write) => write.revision === 1).length,
        corrections: run.filter((write) => write.revision > 1).length,
        entries: run.length * BAGS_PER_FLIGHT,
      },
      connect: {
        seconds: connectSeconds,
        boardCores: connectBoardCores,
        firstEventBytes: clients.reduce((sum, client) => sum + client.firstEventBytes, 0) / clients.length,
        firstEventFlights: { min: Math.min(...firstFlights), max: Math.max(...firstFlights) },
        latency: latencies(connectStart, holdStartMs),
      },
      events: clients.reduce((sum, client) => sum + client.eventsOfEntries(holdStartMs, Infinity), 0),
      latency: latencies(holdStartMs, Infinity),
      dropped: dropped.length,
      droppedReasons: [...new Set(dropped.map((client) => client.droppedReason!))].slice(0, 5),
      missed: clients.filter((client) => expected.some((key) => !client.seen.has(key))).length,
      keepAlivesMin: Math.min(...clients.map((client) => client.keepAlives)),
      board: {
        idle,
        loaded,
        afterClose,
        leftSeconds,
        peakRssBytes,
        kibPerClient: (loaded.rssBytes - idle.rssBytes) / options.clients / 1024,
        clientsMetric,
        slowClientsClosed,
      },
      cpuCores,
    };
  } finally {
    for (const client of clients) client.close();
    traffic.stop();
    await worker?.stop();
    await redis.flushdb();
    await redis.quit();
  }
}

/** Throws unless this process may open a socket per client and then some (`ulimit -n`). */
function checkFileLimit(clients: number): void {
  const limit = Number(/^Max open files\s+(\d+)/m.exec(readProcFile("/proc/self/limits"))?.[1] ?? Infinity);
  if (clients + 256 > limit) {
    throw new Error(`${clients} clients need more than the ${limit} open files allowed: raise ulimit -n`);
  }
}

/** The port of the board's "board serving" log line. */
function boardPort(output: string): number {
  for (const line of output.split("\n")) {
    if (!line.includes('"board serving"')) continue;
    const port = (JSON.parse(line) as { port?: number }).port;
    if (port) return port;
  }
  throw new Error(`the board did not log the port it serves:\n${output.slice(-2000)}`);
}

/** The board's RSS (/proc), and from its metrics V8's heap and the memory of buffers outside it. */
export interface BoardMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
}

async function memory(worker: Worker): Promise<BoardMemory> {
  const rssBytes = Number(/^VmRSS:\s+(\d+) kB/m.exec(readProcFile(`/proc/${worker.child.pid}/status`))?.[1]) * 1024;
  const metric = (name: string) => worker.metric(name).catch(() => NaN);
  return {
    rssBytes,
    heapUsedBytes: await metric("nodejs_heap_size_used_bytes"),
    heapTotalBytes: await metric("nodejs_heap_size_total_bytes"),
    externalBytes: await metric("nodejs_external_memory_bytes"),
  };
}

interface Bag {
  readonly id: string;
  departure: number;
  nextFlight: string;
  readonly exceptions: string | undefined;
}

interface Flight {
  readonly id: string;
  readonly arrival: number;
  readonly partition: number;
  revision: number;
  readonly bags: Bag[];
}

/** One flight revision written: `key` is `<flight>@<revision>`, `idMs` the ms of its last entry's id. */
interface Write {
  readonly key: string;
  readonly revision: number;
  readonly idMs: number;
}

/** The work stream's traffic at the seed's rates, in the contract's format (contracts.md, "The work stream"). */
class BoardTraffic {
  readonly writes: Write[] = [];
  private readonly flights: Flight[] = [];
  /** Departing flights the bags connect to. */
  private readonly departing: string[];
  private readonly offsets = [0, 0, 0, 0, 0, 0];
  private stopped = false;
  private endMs = Infinity;

  constructor(private readonly redis: Redis, private readonly random: () => number) {
    this.departing = Array.from({ length: 2_000 }, () => this.uuid("FL_"));
  }

  /** The flights of the window and the grace period, one in ten corrected, as a board at the seed's rates has. */
  async prefill(): Promise<{ flights: number; revisions: number; entries: number }> {
    const now = Date.now() / 1000;
    const count = Math.round((WINDOW_SECONDS + GRACE_SECONDS) * 1000 / FLIGHT_EVERY_MS);
    for (let i = 1; i <= count; i++) {
      const flight = this.newFlight(Math.round(now - GRACE_SECONDS + (i * FLIGHT_EVERY_MS) / 1000));
      await this.write(flight);
      if (this.random() < CORRECTED_SHARE) await this.write(this.corrected(flight));
    }
    const revisions = this.writes.length;
    this.writes.length = 0;
    return { flights: count, revisions, entries: revisions * BAGS_PER_FLIGHT };
  }

  /** A new flight every 3.6 s entering the window, and a correction of one in ten half a period later. */
  async run(): Promise<void> {
    for (let next = Date.now(); !this.stopped && next < this.endMs; next += FLIGHT_EVERY_MS) {
      await delay(Math.max(0, next - Date.now()));
      if (this.stopped || next >= this.endMs) break;
      await this.write(this.newFlight(Math.floor(Date.now() / 1000) + WINDOW_SECONDS - 1));
      if (this.random() >= CORRECTED_SHARE) continue;
      await delay(Math.max(0, next + FLIGHT_EVERY_MS / 2 - Date.now()));
      const now = Date.now() / 1000;
      const candidates = this.flights.filter((flight) => flight.revision === 1 && flight.arrival > now + 60);
      const flight = candidates[Math.floor(this.random() * candidates.length)];
      if (flight && !this.stopped) await this.write(this.corrected(flight));
    }
  }

  /** Writes nothing from `endMs` on; resolves when the writing in hand is done. */
  async stopAt(endMs: number, writing: Promise<void>): Promise<void> {
    this.endMs = endMs;
    await delay(Math.max(0, endMs - Date.now()));
    await writing;
  }

  stop(): void {
    this.stopped = true;
  }

  private uuid(prefix: string): string {
    const hex = (n: number) => Array.from({ length: n }, () => Math.floor(this.random() * 16).toString(16)).join("");
    return `${prefix}${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(this.random() * 4)]}${hex(3)}-${hex(12)}`;
  }

  /** 300 bags: most to a departure or final, a few with an unknown itinerary (-1) or next flight (-3). */
  private newFlight(arrival: number): Flight {
    const bags = Array.from({ length: BAGS_PER_FLIGHT }, (): Bag => {
      const draw = this.random();
      const next = this.departing[Math.floor(this.random() * this.departing.length)]!;
      const exceptions = this.random() < 0.04 ? (this.random() < 0.25 ? "RUSH,PRIO" : "RUSH") : undefined;
      const connection = arrival + 60 * (45 + Math.floor(this.random() * 315));
      if (draw < 0.4) return { id: this.uuid("BAG_"), departure: 0, nextFlight: "", exceptions };
      if (draw < 0.97) return { id: this.uuid("BAG_"), departure: connection, nextFlight: next, exceptions };
      if (draw < 0.985) return { id: this.uuid("BAG_"), departure: -1, nextFlight: "", exceptions };
      return { id: this.uuid("BAG_"), departure: -3, nextFlight: next, exceptions };
    });
    const flight = { id: this.uuid("FL_"), arrival, partition: this.flights.length % 6, revision: 1, bags };
    this.flights.push(flight);
    return flight;
  }

  /** The flight's next revision: about one departure in five moved by 5 to 60 minutes. */
  private corrected(flight: Flight): Flight {
    flight.revision += 1;
    for (const bag of flight.bags) {
      if (bag.departure > 0 && this.random() < 0.2) {
        bag.departure += 60 * (5 + Math.floor(this.random() * 56)) * (this.random() < 0.5 ? -1 : 1);
      }
    }
    return flight;
  }

  /** One revision of the flight: an entry per bag, in one MULTI as the bridge's script appends a message. */
  private async write(flight: Flight): Promise<void> {
    const offset = this.offsets[flight.partition]!++;
    const scannedAt = String(Math.floor(Date.now() / 1000));
    const multi = this.redis.multi();
    for (const bag of flight.bags) {
      const fields = [
        ["flight_id", flight.id],
        ["bag_id", bag.id],
        ["arrival_time", String(flight.arrival)],
        ["departure_time", String(bag.departure)],
        ["next_flight_id", bag.nextFlight],
        ["revision", String(flight.revision)],
        ["scanned_at", scannedAt],
        ["partition", String(flight.partition)],
        ["offset", String(offset)],
        ...(bag.exceptions ? [["exceptions", bag.exceptions]] : []),
      ].flat();
      multi.xadd(STREAM, "*", ...fields);
    }
    const replies = await multi.exec();
    const lastId = String(replies?.at(-1)?.[1] ?? "");
    if (!/^\d+-\d+$/.test(lastId)) throw new Error(`XADD of ${flight.id} failed: ${JSON.stringify(replies?.at(-1))}`);
    this.writes.push({
      key: `${flight.id}@${flight.revision}`,
      revision: flight.revision,
      idMs: Number(lastId.slice(0, lastId.indexOf("-"))),
    });
  }
}

const NEWLINE = 10;
const decoder = new TextDecoder();

/** One page's event stream, read as EventSource would (no reconnection: a stream that ends is a dropped client). */
class EventClient {
  /** `<flight>@<revision>` of every flight in the events after the first. */
  readonly seen = new Set<string>();
  keepAlives = 0;
  firstEventBytes = 0;
  firstEventFlights = 0;
  droppedReason: string | undefined;
  /** Resolves on the first `flights` event (the whole board). */
  readonly connected: Promise<void>;
  private resolveConnected!: () => void;
  private readonly abort = new AbortController();
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private closing = false;
  private gotFirst = false;
  /** Per `flights` event after the first: the ms of its id and its latency. */
  private readonly idMs: number[] = [];
  private readonly latencyMs: number[] = [];
  /** The bytes of the event being received, and whether they end with a newline. */
  private pending: Uint8Array[] = [];
  private endsWithNewline = false;

  constructor() {
    this.connected = new Promise((resolve) => (this.resolveConnected = resolve));
  }

  open(url: string): void {
    this.read(url).catch((error) => this.drop(error instanceof Error ? error.message : String(error)));
  }

  close(): void {
    this.closing = true;
    // Aborting the request once its body is being read left some sockets open here (Deno 2.9.6): cancel the body.
    if (this.reader) this.reader.cancel().catch(() => {});
    else this.abort.abort();
  }

  /** Latencies of the events whose id's ms is in [fromMs, toMs). */
  latenciesOfEntries(fromMs: number, toMs: number): number[] {
    return this.latencyMs.filter((_, i) => this.idMs[i]! >= fromMs && this.idMs[i]! < toMs);
  }

  eventsOfEntries(fromMs: number, toMs: number): number {
    return this.latenciesOfEntries(fromMs, toMs).length;
  }

  private drop(reason: string): void {
    if (this.closing || this.droppedReason !== undefined) return;
    this.droppedReason = reason;
    // A client dropped before its first event does not hold up the others' connection.
    this.resolveConnected();
  }

  private async read(url: string): Promise<void> {
    const response = await fetch(url, { signal: this.abort.signal });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw new Error(`GET /events answered ${response.status}`);
    }
    const reader = this.reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return this.drop("the event stream ended");
      this.feed(value, Date.now());
    }
  }

  /** Splits the bytes into events at each blank line (the board writes \n line ends only). */
  private feed(chunk: Uint8Array, receivedMs: number): void {
    let start = 0;
    if (this.endsWithNewline && chunk[0] === NEWLINE) {
      this.complete(chunk.subarray(0, 0), receivedMs);
      start = 1;
    }
    for (let from = start;;) {
      const i = chunk.indexOf(NEWLINE, from);
      if (i === -1 || i === chunk.length - 1) break;
      if (chunk[i + 1] === NEWLINE) {
        this.complete(chunk.subarray(start, i + 1), receivedMs);
        start = from = i + 2;
      } else {
        from = i + 1;
      }
    }
    this.endsWithNewline = start < chunk.length && chunk[chunk.length - 1] === NEWLINE;
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  private complete(tail: Uint8Array, receivedMs: number): void {
    const parts = [...this.pending, tail];
    this.pending = [];
    this.endsWithNewline = false;
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
    let at = 0;
    for (const part of parts) bytes.set(part, (at += part.byteLength) - part.byteLength);
    const fields = new Map<string, string>();
    for (const line of decoder.decode(bytes).split("\n")) {
      if (line === "") continue;
      if (line.startsWith(":")) this.keepAlives += 1;
      const colon = line.indexOf(":");
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + (line[colon + 1] === " " ? 2 : 1)));
    }
    if (fields.get("event") !== "flights") return;
    const id = fields.get("id") ?? "";
    const data = fields.get("data") ?? "[]";
    if (!this.gotFirst) {
      // The whole board: only counted (a page parses it once; here 1,000 times would be the bench's CPU, not the board's).
      this.gotFirst = true;
      this.firstEventBytes = bytes.byteLength;
      for (let i = data.indexOf('"event_id"'); i !== -1; i = data.indexOf('"event_id"', i + 1)) {
        this.firstEventFlights++;
      }
      this.resolveConnected();
      return;
    }
    const idMs = Number(id.slice(0, id.indexOf("-")));
    this.idMs.push(idMs);
    this.latencyMs.push(receivedMs - idMs);
    for (const flight of JSON.parse(data) as { id: string; revision: number }[]) {
      this.seen.add(`${flight.id}@${flight.revision}`);
    }
  }
}
