/**
 * A search on the board: a bag's or a flight's current routing (the board's work, Redis's itinerary or schedule)
 * and, when the archiver answers, its history. Read-only: HGET and HMGET on the seed's keys only.
 */
import type { RedisClient } from "../infra/redis.ts";
import type { BagHistory, FlightHistory } from "../archive/history.ts";
import { bagTimeline, flightTimeline } from "../archive/timeline.ts";
import { bagKey, flightKey } from "../infra/keys.ts";
import { errorMessage } from "../infra/log.ts";
import type { BagRouting, BoardState, FlightView } from "./board_state.ts";

const HISTORY_TIMEOUT_MS = 2_000;

/**
 * The archive's answer: the history (its JSON, and the timeline `deno task history` prints), null when it does not
 * know the id, or why it could not be asked.
 */
export type HistoryAnswer =
  | { readonly history: BagHistory | FlightHistory; readonly timeline: string }
  | { readonly history: null; readonly history_error?: string };

export interface BagSearch {
  readonly kind: "bag";
  readonly id: string;
  /** The itinerary Redis holds, null when Redis has no such bag. */
  readonly itinerary: readonly string[] | null;
  readonly exceptions: readonly string[];
  /** Its work on each flight the board holds. */
  readonly routing: readonly BagRouting[];
}

export interface FlightSearch {
  readonly kind: "flight";
  readonly id: string;
  /** The schedule Redis holds, null when Redis has no such flight. */
  readonly schedule: { departure_time: number; arrival_time: number; bags: number | null } | null;
  /** Its latest work, when it is arriving soon or landed lately. */
  readonly work: FlightView | null;
}

export type SearchAnswer = (BagSearch | FlightSearch) & HistoryAnswer;

/** Neither the board nor Redis knows the id, and the archive does not either (or could not be asked). */
export interface UnknownId {
  readonly unknown: true;
  readonly history_error?: string;
}

const unknownId = (archive: HistoryAnswer): UnknownId => ({
  unknown: true,
  ...("history_error" in archive ? { history_error: archive.history_error } : {}),
});

/** Asks `historyUrl` (the archiver's history endpoint) for `/bags/<id>` or `/flights/<id>`. */
async function askArchive(historyUrl: string, kind: "bags" | "flights", id: string): Promise<HistoryAnswer> {
  try {
    const response = await fetch(`${historyUrl}/${kind}/${encodeURIComponent(id)}`, {
      signal: AbortSignal.timeout(HISTORY_TIMEOUT_MS),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return { history: null };
    }
    if (!response.ok) {
      await response.body?.cancel();
      return { history: null, history_error: `the archive answered ${response.status}` };
    }
    const history = await response.json();
    return { history, timeline: kind === "bags" ? bagTimeline(history) : flightTimeline(history) };
  } catch (error) {
    return { history: null, history_error: `the archive is not reachable (${errorMessage(error)})` };
  }
}

function parseList(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : null;
  } catch {
    return null;
  }
}

/** What the board, Redis and the archive know of bag `id`. */
export async function searchBag(
  redis: RedisClient,
  state: BoardState,
  historyUrl: string,
  id: string,
): Promise<SearchAnswer | UnknownId> {
  const [[flights, exceptions], archive] = await Promise.all([
    redis.hmget(bagKey(id), "flights", "exceptions"),
    askArchive(historyUrl, "bags", id),
  ]);
  const routing = state.routingOf(id);
  const itinerary = parseList(flights ?? null);
  if (itinerary === null && routing.length === 0 && archive.history === null) return unknownId(archive);
  return { kind: "bag", id, itinerary, exceptions: exceptions ? exceptions.split(",") : [], routing, ...archive };
}

/** What the board, Redis and the archive know of flight `id`. */
export async function searchFlight(
  redis: RedisClient,
  state: BoardState,
  historyUrl: string,
  id: string,
): Promise<SearchAnswer | UnknownId> {
  const [[departure, arrival, bags], archive] = await Promise.all([
    redis.hmget(flightKey(id), "departure_time", "arrival_time", "bags"),
    askArchive(historyUrl, "flights", id),
  ]);
  const work = state.view(id) ?? null;
  const schedule = departure === null || arrival === null ? null : {
    departure_time: Number(departure),
    arrival_time: Number(arrival),
    bags: parseList(bags ?? null)?.length ?? null,
  };
  if (schedule === null && work === null && archive.history === null) return unknownId(archive);
  return { kind: "flight", id, schedule, work, ...archive };
}
