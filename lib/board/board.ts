/**
 * The board process: one tail of the work stream (stream_follower.ts) into the board's state (board_state.ts),
 * fanned out to every open page as server-sent events (event_hub.ts), and the page and its search
 * (board_server.ts) on BOARD_PORT.
 *
 * Events: `hello` first (the server's clock, the window and the grading thresholds, and whether what follows is
 * the whole board), then `flights`: the flights that changed, whole, with the id of the last stream entry applied.
 * A page that reconnects with that id (Last-Event-ID) gets only the flights changed since, even from another board
 * process or one restarted: the ids are the stream's own.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Config } from "../infra/config.ts";
import type { Closable, ServiceContext } from "../infra/service.ts";
import type { RedisClient } from "../infra/redis.ts";
import type { WorkEntry } from "../stream/stream_reader.ts";
import { startBoardServer } from "./board_server.ts";
import { BoardState } from "./board_state.ts";
import { EventHub, sseEvent } from "./event_hub.ts";
import { searchBag, searchFlight } from "./search.ts";
import { isStreamId, streamIdMs } from "./stream_ids.ts";
import { StreamFollower } from "./stream_follower.ts";

/** A page that has not taken this many bytes of events is closed (it reconnects and catches up). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const FORGET_EVERY_MS = 30_000;
/** How far back the board reads the stream at start, beyond the window and the grace period. */
const LOOK_BACK_MARGIN_SECONDS = 3_600;

function boardMetrics(registry: Registry) {
  const registers = [registry];
  return {
    clients: new Gauge({ name: "board_clients", help: "Pages connected to the board's event stream", registers }),
    slowClients: new Counter({
      name: "board_slow_clients_closed_total",
      help:
        "Event streams closed because the page fell 8 MiB of events behind, beyond its first event (it reconnects and catches up)",
      registers,
    }),
    entries: new Counter({
      name: "board_stream_entries_total",
      help: "Work stream entries the board has read",
      registers,
    }),
    flightEvents: new Counter({
      name: "board_flight_updates_total",
      help: "Flights sent to the pages (one per changed flight and batch of stream entries)",
      registers,
    }),
    entryAge: new Histogram({
      name: "board_entry_to_event_seconds",
      help: "Time from the bridge writing a stream entry to the board sending it to the pages",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    flights: new Gauge({ name: "board_flights", help: "Flights the board holds", registers }),
  };
}

/** The `hello` event's content. */
export function helloData(config: Config, nowMs: number, whole: boolean) {
  return {
    server_time_ms: nowMs,
    window_seconds: config.scan.windowSeconds,
    grace_seconds: config.scan.graceSeconds,
    thresholds: config.risk,
    whole,
  };
}

/** Builds and starts the board. */
export async function startBoard(
  { config, logger, registry, redis, clock }: ServiceContext<"redis", RedisClient>,
): Promise<Closable> {
  const metrics = boardMetrics(registry);
  const state = new BoardState();
  const hub = new EventHub(MAX_QUEUED_BYTES, {
    onClients: (count) => metrics.clients.set(count),
    onSlowClient: () => metrics.slowClients.inc(),
  });
  const shownFrom = () => clock() - config.scan.graceSeconds;

  const onEntries = (entries: WorkEntry[]) => {
    const changed = state.apply(entries);
    metrics.entries.inc(entries.length);
    if (changed.size === 0) return;
    const views = [...changed].map((id) => state.view(id)!);
    hub.broadcast(sseEvent("flights", JSON.stringify(views), state.lastEventId));
    metrics.flightEvents.inc(views.length);
    const now = Date.now();
    for (const entry of entries) metrics.entryAge.observe(Math.max(0, now - streamIdMs(entry.id)) / 1000);
    metrics.flights.set(state.size);
  };

  const follower = new StreamFollower(redis.duplicate(), config.stream.key, onEntries, logger);
  const lookBack = config.scan.windowSeconds + config.scan.graceSeconds + LOOK_BACK_MARGIN_SECONDS;
  await follower.start((clock() - lookBack) * 1000);

  const forget = setInterval(() => {
    state.forgetArrivedBefore(shownFrom());
    metrics.flights.set(state.size);
  }, FORGET_EVERY_MS);

  // The whole board, encoded once for every page that opens until the next entry or the next second: a
  // reconnection storm (a board restarted under a thousand pages) costs one encoding, not one a page.
  let wholeBoard: { key: string; event: Uint8Array } | undefined;
  const flightsEvent = (since: string | undefined) => {
    const from = shownFrom();
    if (since !== undefined) return sseEvent("flights", JSON.stringify(state.views(from, since)), state.lastEventId);
    const key = `${state.lastEventId}/${Math.floor(from)}`;
    if (wholeBoard?.key !== key) {
      wholeBoard = { key, event: sseEvent("flights", JSON.stringify(state.views(from)), state.lastEventId) };
    }
    return wholeBoard.event;
  };
  const retry = new TextEncoder().encode("retry: 1000\n\n");
  const events = (lastEventId: string | undefined) => {
    const since = lastEventId !== undefined && isStreamId(lastEventId) ? lastEventId : undefined;
    return hub.open([
      sseEvent("hello", JSON.stringify(helloData(config, clock() * 1000, since === undefined))),
      // On a reconnection, only what changed since its last event; then a retry delay the browser keeps.
      flightsEvent(since),
      retry,
    ]);
  };
  const { board } = config;
  const server = await startBoardServer(
    board.host,
    board.port,
    {
      events,
      searchBag: (id) => searchBag(redis, state, board.historyUrl, id),
      searchFlight: (id) => searchFlight(redis, state, board.historyUrl, id),
    },
    board.token,
    logger,
  );
  logger.info({ port: server.port, flights: state.size, token: board.token !== undefined }, "board serving");

  return {
    async close() {
      clearInterval(forget);
      hub.close();
      await server.close();
      await follower.close();
    },
  };
}
