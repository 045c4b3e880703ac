/**
 * The history endpoint (a contract): `GET /bags/<id>` and `GET /flights/<id>` answer the archive's history as
 * JSON; an id that is not an id gets 400, an id the archive does not know 404. Ids reach the queries only as
 * parameters.
 */
import { ID_PATTERN } from "../domain/validation.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import type { Sql } from "../infra/postgres.ts";
import { type HttpServer, serveHttp } from "../infra/runtime.ts";
import { bagHistory, flightHistory } from "./history.ts";

const ROUTES = { bags: bagHistory, flights: flightHistory } as const;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });

/** Answers one request to the history endpoint. */
export async function answerHistory(sql: Sql, request: Request, logger?: Logger): Promise<Response> {
  const match = /^\/(bags|flights)\/([^/]*)$/.exec(new URL(request.url).pathname);
  if (!match) return json({ error: "not found: use /bags/<id> or /flights/<id>" }, 404);
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const kind = match[1] as keyof typeof ROUTES;
  let id: string;
  try {
    id = decodeURIComponent(match[2]!);
  } catch {
    return json({ error: "the id is not valid percent-encoding" }, 400);
  }
  if (!ID_PATTERN.test(id)) {
    return json({ error: "an id is 1-128 letters, digits, '_', '.' or '-'" }, 400);
  }
  try {
    const history = await ROUTES[kind](sql, id);
    if (history === undefined) {
      return json({ error: `the archive has no ${kind === "bags" ? "bag" : "flight"} ${id}` }, 404);
    }
    return json(history);
  } catch (error) {
    logger?.error({ err: errorMessage(error), path: `/${kind}/${id}` }, "history query failed");
    return json({ error: "the archive cannot answer now" }, 503);
  }
}

/** Serves the history endpoint on host:port. */
export function startHistoryServer(sql: Sql, host: string, port: number, logger?: Logger): Promise<HttpServer> {
  return serveHttp(host, port, (request) => answerHistory(sql, request, logger));
}
