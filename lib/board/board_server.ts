/**
 * The board's HTTP surface (a contract): `GET /` the page and its assets, `GET /events` the live updates
 * (text/event-stream), `GET /api/bags/<id>` and `GET /api/flights/<id>` a search. Read-only: anything but GET or
 * HEAD gets 405. Every answer carries a Content-Security-Policy that lets the page load only its own assets.
 * With BOARD_TOKEN set, every path needs the token: `?token=` once (answered with a cookie and a redirect that
 * drops it from the address), the cookie, or `Authorization: Bearer`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ID_PATTERN } from "../domain/validation.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { type HttpServer, serveHttp } from "../infra/runtime.ts";
import css from "./web/board.css" with { type: "text" };
import page from "./web/index.html" with { type: "text" };
import script from "./web/board.mjs" with { type: "text" };
import { CONNECTION_RISK_MODULE } from "./page_modules.ts";
import type { SearchAnswer, UnknownId } from "./search.ts";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const ASSETS: Record<string, { body: string; type: string }> = {
  "/": { body: page, type: "text/html; charset=utf-8" },
  "/board.css": { body: css, type: "text/css; charset=utf-8" },
  "/board.mjs": { body: script, type: "text/javascript; charset=utf-8" },
  "/connection_risk.mjs": { body: CONNECTION_RISK_MODULE, type: "text/javascript; charset=utf-8" },
};

const TOKEN_COOKIE = "board_token";

/** What the server needs from the board. */
export interface BoardHandlers {
  /** The event stream for a page whose last event was `lastEventId` (none on a first connection). */
  events(lastEventId: string | undefined): ReadableStream<Uint8Array>;
  searchBag(id: string): Promise<SearchAnswer | UnknownId>;
  searchFlight(id: string): Promise<SearchAnswer | UnknownId>;
}

const respond = (body: BodyInit | null, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });

const json = (body: unknown, status = 200) =>
  respond(JSON.stringify(body), status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether `offered` is the token, compared in constant time. */
const sameToken = (offered: string | undefined, token: string) =>
  offered !== undefined && timingSafeEqual(digest(offered), digest(token));

function cookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function bearer(request: Request): string | undefined {
  const match = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
  return match?.[1];
}

/** Answers one request to the board. */
export async function answerBoard(
  request: Request,
  handlers: BoardHandlers,
  token: string | undefined,
  logger?: Logger,
): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return respond(null, 405, { allow: "GET, HEAD" });
  }
  const url = new URL(request.url);
  if (token !== undefined) {
    const offered = url.searchParams.get("token") ?? undefined;
    if (offered !== undefined && sameToken(offered, token)) {
      url.searchParams.delete("token");
      return respond(null, 303, {
        location: `${url.pathname}${url.search}`,
        "set-cookie": `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
      });
    }
    const presented = bearer(request) ?? decodeCookie(cookie(request, TOKEN_COOKIE));
    if (!sameToken(presented, token)) {
      return respond("This board needs its access token: open /?token=<BOARD_TOKEN>.\n", 401, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
  }
  // Browsers ask for it unprompted; the page has none.
  if (url.pathname === "/favicon.ico") return respond(null, 204);
  const asset = ASSETS[url.pathname];
  if (asset) return respond(asset.body, 200, { "content-type": asset.type, "cache-control": "no-cache" });
  if (url.pathname === "/events") {
    const lastEventId = request.headers.get("last-event-id") ?? url.searchParams.get("last_event_id") ?? undefined;
    return respond(handlers.events(lastEventId || undefined), 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
  }
  const match = /^\/api\/(bags|flights)\/([^/]*)$/.exec(url.pathname);
  if (!match) return json({ error: "not found" }, 404);
  let id: string;
  try {
    id = decodeURIComponent(match[2]!);
  } catch {
    return json({ error: "the id is not valid percent-encoding" }, 400);
  }
  if (!ID_PATTERN.test(id)) return json({ error: "an id is 1-128 letters, digits, '_', '.' or '-'" }, 400);
  const kind = match[1] === "bags" ? "bag" : "flight";
  try {
    const answer = kind === "bag" ? await handlers.searchBag(id) : await handlers.searchFlight(id);
    if (!("unknown" in answer)) return json(answer);
    const { history_error } = answer;
    return json({ error: `no ${kind} ${id} is known`, ...(history_error ? { history_error } : {}) }, 404);
  } catch (error) {
    logger?.error({ err: errorMessage(error), path: url.pathname }, "board search failed");
    return json({ error: "the board cannot answer now" }, 503);
  }
}

function decodeCookie(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Serves the board on host:port. */
export function startBoardServer(
  host: string,
  port: number,
  handlers: BoardHandlers,
  token: string | undefined,
  logger?: Logger,
): Promise<HttpServer> {
  return serveHttp(host, port, (request) => answerBoard(request, handlers, token, logger));
}
