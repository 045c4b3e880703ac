/**
 * The board's HTTP surface against a real board process and the test Redis: security headers on every answer,
 * read-only methods, hostile ids refused before anything is read, the access token, exact search answers, and the
 * event stream's catch-up from a last event id.
 */
import assert from "node:assert/strict";
import { CONTENT_SECURITY_POLICY } from "../../lib/board/board_server.ts";
import { connectionRisk, RISK_GRADES } from "../../lib/domain/connection_risk.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { connectRedis, type Redis } from "../../lib/infra/redis.ts";
import { freePort, startBoard } from "../_helpers/board.ts";
import { isolatedEnvironment } from "../_helpers/fixtures.ts";
import { startProcess } from "../_helpers/processes.ts";

const T = Math.floor(Date.now() / 1000);

/** A stream entry of the contract (docs/contracts.md, "The work stream"). */
function entry(flight: string, bag: string, departure: number, next: string, revision = 1) {
  return {
    flight_id: flight,
    bag_id: bag,
    arrival_time: T + 300,
    departure_time: departure,
    next_flight_id: next,
    revision,
    scanned_at: T,
    partition: 0,
    offset: "0",
  };
}

async function withBoard(
  test: (base: string, redis: Redis, env: Record<string, string | undefined>) => Promise<void>,
  overrides: Record<string, string> = {},
) {
  // Nothing listens there: the archive is "not running".
  const env = isolatedEnvironment("board", { BOARD_HISTORY_URL: `http://127.0.0.1:${freePort()}`, ...overrides });
  const config = loadConfig("board", env);
  const redis = await connectRedis(config.redisUrl, "test");
  await redis.flushdb();
  const xadd = (fields: Record<string, string | number>) =>
    redis.xadd(config.stream.key, "*", ...Object.entries(fields).flat().map(String));
  await xadd(entry("FL_A", "BAG_1", T + 300 + 2700 + 600, "FL_B"));
  await redis.hset("bag:id:BAG_1", "flights", JSON.stringify(["FL_A", "FL_B"]));
  await redis.hset("flight:id:FL_A", { departure_time: T - 3600, arrival_time: T + 300, bags: '["BAG_1"]' });
  const port = freePort();
  const board = await startBoard(env, port, overrides);
  try {
    await test(`http://127.0.0.1:${port}`, redis, env);
  } finally {
    await board.kill("SIGKILL");
    await redis.quit();
  }
}

interface StreamEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: unknown;
}

/**
 * The events of a text/event-stream body (comments and retry lines left out) until `enough` says so; throws after
 * 10 s without.
 */
async function readEvents(response: Response, enough: (events: StreamEvent[]) => boolean): Promise<StreamEvent[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = setTimeout(() => reader.cancel(), 10_000);
  let text = "";
  const events: StreamEvent[] = [];
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended (or 10 s passed) after ${JSON.stringify(events)}`);
      text += value;
      let end;
      while ((end = text.indexOf("\n\n")) !== -1) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const fields = Object.fromEntries(
          block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
        );
        if (fields.data !== undefined) {
          events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
        }
      }
    }
    return events;
  } finally {
    clearTimeout(deadline);
    await reader.cancel();
  }
}

const flightIds = (events: StreamEvent[]) =>
  events.filter((e) => e.event === "flights").flatMap((e) => e.data as { id: string }[]).map((f) => f.id);

Deno.test("every answer carries the Content-Security-Policy and the board answers only GET and HEAD", async () => {
  await withBoard(async (base) => {
    for (const path of ["/", "/board.mjs", "/board.css", "/connection_risk.mjs", "/api/bags/NOPE", "/nope"]) {
      const response = await fetch(`${base}${path}`);
      await response.body?.cancel();
      assert.equal(response.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    }
    assert.match(
      CONTENT_SECURITY_POLICY,
      /^default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/,
    );
    const post = await fetch(`${base}/api/bags/BAG_1`, { method: "POST", body: "{}" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });
});

Deno.test("a hostile id in a URL gets 400 and reads nothing from Redis", async () => {
  await withBoard(async (base, redis) => {
    const hmgetCalls = async () => Number(/cmdstat_hmget:calls=(\d+)/.exec(await redis.info("commandstats"))?.[1] ?? 0);
    const before = await hmgetCalls();
    for (
      const path of [
        "/api/bags/%3Cscript%3E",
        "/api/flights/..%2F..%2Fetc",
        "/api/bags/%E0%A4%A",
        `/api/bags/${"A".repeat(129)}`,
      ]
    ) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 400, path);
      assert.match((await response.json()).error, /id|percent-encoding/);
    }
    assert.equal(await hmgetCalls(), before);
  });
});

Deno.test("a search answers what the board, Redis and the archive know, exactly; an unknown id is 404", async () => {
  await withBoard(async (base) => {
    const bag = await (await fetch(`${base}/api/bags/BAG_1`)).json();
    assert.deepEqual({ ...bag, history_error: typeof bag.history_error }, {
      kind: "bag",
      id: "BAG_1",
      itinerary: ["FL_A", "FL_B"],
      exceptions: [],
      routing: [{
        flight_id: "FL_A",
        arrival_time: T + 300,
        revision: 1,
        departure_time: T + 300 + 2700 + 600,
        next_flight_id: "FL_B",
        exceptions: [],
      }],
      history: null,
      history_error: "string",
    });
    assert.match(bag.history_error, /^the archive is not reachable/);
    const flight = await (await fetch(`${base}/api/flights/FL_A`)).json();
    assert.deepEqual(flight.schedule, { departure_time: T - 3600, arrival_time: T + 300, bags: 1 });
    assert.deepEqual(flight.work.bags, [["BAG_1", T + 300 + 2700 + 600, "FL_B"]]);
    const unknown = await fetch(`${base}/api/bags/BAG_404`);
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json()).error, "no bag BAG_404 is known");
  });
});

Deno.test("the event stream starts with hello and the whole board; from a last event id, only what changed since", async () => {
  await withBoard(async (base, redis, env) => {
    const config = loadConfig("board", env);
    const first = await readEvents(await fetch(`${base}/events`), (events) => events.length === 2);
    assert.equal(first[0]!.event, "hello");
    assert.deepEqual((first[0]!.data as { whole: boolean; thresholds: unknown }).whole, true);
    assert.equal(first[1]!.event, "flights");
    assert.deepEqual((first[1]!.data as { id: string }[]).map((f) => f.id), ["FL_A"]);
    const lastId = first[1]!.id!;

    await redis.xadd(config.stream.key, "*", ...Object.entries(entry("FL_C", "BAG_2", 0, "")).flat().map(String));
    const since = await fetch(`${base}/events`, { headers: { "last-event-id": lastId } });
    // The board may read FL_C before or after this connection: read on until FL_C is there.
    const events = await readEvents(since, (events) => flightIds(events).includes("FL_C"));
    assert.equal(events[0]!.event, "hello");
    assert.equal((events[0]!.data as { whole: boolean }).whole, false);
    assert.deepEqual(flightIds(events), ["FL_C"], `only FL_C changed since ${lastId}`);
  });
});

Deno.test("with BOARD_TOKEN, nothing is served without it; ?token= sets a cookie, which like a Bearer token opens all", async () => {
  const token = "a-long-enough-board-token-0123";
  await withBoard(async (base) => {
    for (const path of ["/", "/events", "/api/bags/BAG_1", "/board.mjs"]) {
      const response = await fetch(`${base}${path}`);
      await response.body?.cancel();
      assert.equal(response.status, 401, path);
    }
    const wrong = await fetch(`${base}/?token=not-the-token-at-all-00`, { redirect: "manual" });
    await wrong.body?.cancel();
    assert.equal(wrong.status, 401);
    const login = await fetch(`${base}/?token=${token}`, { redirect: "manual" });
    await login.body?.cancel();
    assert.equal(login.status, 303);
    assert.equal(login.headers.get("location"), "/");
    const cookie = login.headers.get("set-cookie")!;
    assert.match(cookie, /^board_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(";")[0]! } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Baggage hall board<\/title>/);
    const api = await fetch(`${base}/api/bags/BAG_1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(api.status, 200);
    assert.equal((await api.json()).id, "BAG_1");
  }, { BOARD_TOKEN: token });
});

Deno.test("a BOARD_TOKEN too short stops the start, naming the variable but not the secret", async () => {
  const env = isolatedEnvironment("board", { BOARD_TOKEN: "tooshort" });
  const board = startProcess(Deno.execPath(), ["run", "-A", "readers/board.ts"], env);
  assert.equal(await board.exited, 2);
  assert.match(
    board.output(),
    /'BOARD_TOKEN' must be 16-256 printable ASCII characters without spaces, got "\(8 characters\)"/,
  );
  assert.ok(!board.output().includes("tooshort"));
});

Deno.test("a supervisor's SIGTERM stops the board with a page connected: its event stream ends and the board exits 0", async () => {
  const env = isolatedEnvironment("board", { BOARD_HISTORY_URL: `http://127.0.0.1:${freePort()}` });
  const port = freePort();
  const board = await startBoard(env, port);
  try {
    const events = await fetch(`http://127.0.0.1:${port}/events`);
    const reader = events.body!.getReader();
    await reader.read();
    Deno.kill(board.pid, "SIGTERM");
    assert.equal(await board.exited, 0, board.output());
    // What was queued comes out first; then the stream ends.
    while (!(await reader.read()).done);
    assert.match(board.output(), /"board stopped"/);
  } finally {
    await board.kill("SIGKILL");
  }
});

Deno.test("the page's /connection_risk.mjs, imported as the browser does, grades exactly as the domain module", async () => {
  await withBoard(async (base) => {
    const source = await (await fetch(`${base}/connection_risk.mjs`)).text();
    const served = await import(`data:text/javascript;base64,${btoa(source)}`);
    const thresholds = loadConfig("board", {}).risk;
    const arrival = 1_800_000_000;
    for (
      const departure of [
        -10,
        -3,
        -1,
        0,
        arrival + 2699,
        arrival + 2700,
        arrival + 3599,
        arrival + 3600,
        arrival + 4500,
      ]
    ) {
      assert.deepEqual(
        served.connectionRisk(arrival, departure, thresholds),
        connectionRisk(arrival, departure, thresholds),
      );
    }
    assert.equal(served.worstGrade(["ok", "warm", "critical"]), "critical");
    assert.deepEqual([...served.RISK_GRADES], [...RISK_GRADES]);
  });
});
