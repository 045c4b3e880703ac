/**
 * The board in a real headless Chromium, fed by the real pipeline: Kafka → consumers → Redis → scanner (following
 * changes) → work topic → bridge → stream → board process → server-sent events → page.
 */
import assert from "node:assert/strict";
import { bagTimeline } from "../../lib/archive/timeline.ts";
import { connectionRisk, type RiskGrade, worstGrade } from "../../lib/domain/connection_risk.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { ROOT } from "../../tools/processes.ts";
import { boardPipeline, freePort, startBoard, streamEntries } from "../_helpers/board.ts";
import { openPage, PHONE, texts, WALL, withBrowser } from "../_helpers/browser.ts";

const T = Math.floor(Date.now() / 1000);
const DAY = new Date(T * 1000).toISOString().slice(0, 10);
/** A real flight's id: the flight, `-`, its date. */
const flight = (number: string) => `${number}-${DAY}`;
const MCT = 2700;

const ARRIVING = flight("BA0117");
const ARRIVAL = T + 240;
/** Onward flights of ARRIVING's bags, departing with this much slack after the minimum connection. */
const ONWARD = {
  [flight("BA0282")]: -300,
  [flight("BA0286")]: 200,
  [flight("AA0101")]: 1000,
  [flight("LH0917")]: 2000,
};
const UNKNOWN_NEXT = flight("IB3171");

const departureOf = (id: string) => ARRIVAL + MCT + ONWARD[id]!;
const onwardFlights = Object.keys(ONWARD).map((id) => ({
  id,
  departure_time: departureOf(id),
  arrival_time: departureOf(id) + 7200,
  bags: [],
}));
const [CRITICAL_NEXT, HOT_NEXT, WARM_NEXT, OK_NEXT] = Object.keys(ONWARD) as [string, string, string, string];
const itineraries: Record<string, string[] | undefined> = {
  "0125100001": [ARRIVING, CRITICAL_NEXT],
  "0125100002": [ARRIVING, HOT_NEXT],
  "0125100003": [ARRIVING, HOT_NEXT],
  "0125100004": [ARRIVING, WARM_NEXT],
  "0125100005": [ARRIVING, OK_NEXT],
  "0125100006": [ARRIVING],
  "0125100007": undefined,
  "0125100008": [ARRIVING, UNKNOWN_NEXT],
};
/** More traffic for the screenshots: another arrival with transfers, one landed a while ago, one later. */
const others = [
  {
    id: flight("AF1080"),
    arrival: T + 420,
    bags: {
      "0057200001": [OK_NEXT],
      "0057200002": [OK_NEXT],
      "0057200003": [CRITICAL_NEXT],
      "0057200004": [],
      "0057200005": [],
    },
  },
  { id: flight("EK0007"), arrival: T - 120, bags: { "0176300001": [], "0176300002": [], "0176300003": [] } },
  {
    id: flight("DL0030"),
    arrival: T + 540,
    bags: { "0006400001": [WARM_NEXT], "0006400002": [WARM_NEXT], "0006400003": [] },
  },
];

function dataset() {
  const flights = [
    { id: ARRIVING, departure_time: T - 7200, arrival_time: ARRIVAL, bags: Object.keys(itineraries) },
    ...onwardFlights,
    ...others.map((o) => ({
      id: o.id,
      departure_time: o.arrival - 7200,
      arrival_time: o.arrival,
      bags: Object.keys(o.bags),
    })),
  ];
  const bags = [
    ...Object.entries(itineraries).flatMap(([id, flights]) => (flights ? [{ id, flights }] : [])),
    ...others.flatMap((o) => Object.entries(o.bags).map(([id, onward]) => ({ id, flights: [o.id, ...onward] }))),
  ];
  return { flights, bags };
}

/** What the page shows as at risk and as connections, read from its DOM. */
async function pageGrades(page: import("playwright-core").Page) {
  const atRisk = await page.locator("#at-risk tbody tr[data-bag]").evaluateAll((rows) =>
    rows.map((row) => [
      row.getAttribute("data-bag"),
      row.getAttribute("data-flight"),
      row.getAttribute("data-grade"),
      Number(row.getAttribute("data-slack")),
    ])
  );
  const connections = await page.locator("#arrivals tr[data-flight] li[data-next]").evaluateAll((items) =>
    items.map((item) => [
      item.closest("tr[data-flight]")?.getAttribute("data-flight"),
      item.getAttribute("data-next"),
      item.getAttribute("data-grade"),
    ])
  );
  return { atRisk, connections };
}

/** The same from the stream's entries, graded by the domain module: each (flight, bag)'s highest revision. */
async function domainGrades(run: Awaited<ReturnType<typeof boardPipeline>>) {
  const latest = new Map<string, Awaited<ReturnType<typeof streamEntries>>[number]>();
  for (const entry of await streamEntries(run.redis, run.config)) {
    const key = `${entry.flight_id} ${entry.bag_id}`;
    if ((latest.get(key)?.revision ?? 0) <= entry.revision) latest.set(key, entry);
  }
  const atRisk: [string, string, RiskGrade, number][] = [];
  const connections = new Map<string, RiskGrade[]>();
  for (const entry of latest.values()) {
    if (entry.removed || entry.departure_time === null) continue;
    const risk = connectionRisk(entry.arrival_time, entry.departure_time, run.config.risk);
    if (!risk) continue;
    if (risk.grade !== "ok") atRisk.push([entry.bag_id, entry.flight_id, risk.grade, risk.slackSeconds]);
    const key = `${entry.flight_id} ${entry.next_flight_id}`;
    connections.set(key, [...connections.get(key) ?? [], risk.grade]);
  }
  return {
    atRisk: atRisk.sort((a, b) => a[3] - b[3] || a[0].localeCompare(b[0])),
    connections: [...connections].map(([key, grades]) => [...key.split(" "), worstGrade(grades)]),
  };
}

const sortRows = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();

/** m:ss (or h:mm:ss) to seconds. */
const seconds = (text: string) => text.split(":").map(Number).reduce((total, part) => total * 60 + part, 0);

Deno.test({
  name: "the board in a browser, on the real pipeline",
  // playwright-core keeps its own timers and pipes to the browser for the whole test.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const run = await boardPipeline();
    const port = freePort();
    let board = await startBoard(run.env, port);
    try {
      await withBrowser(async (browser) => {
        const { page, problems, close } = await openPage(browser, `http://127.0.0.1:${port}/`);
        await waitFor(async () => (await page.locator("#status").getAttribute("data-state")) === "live", 10_000);
        // A reload would lose it: the page is the same one as long as it holds.
        await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
        const sameDocument = () =>
          page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce === true);

        await t.step(
          "the page shows a flight within 2 s of its work reaching the stream, its bags by outcome",
          async () => {
            const { flights, bags } = dataset();
            await run.send("flights", flights);
            await run.send("bags", bags);
            await run.stored([...flights.map((f) => `flight:id:${f.id}`), ...bags.map((b) => `bag:id:${b.id}`)]);
            await run.scanner.scan.scan(T);
            await run.scanner.follow(T);
            await page.locator(`#arrivals tr[data-flight="${ARRIVING}"]`).waitFor({ timeout: 10_000 });
            const shownAt = Date.now();
            const entries = (await streamEntries(run.redis, run.config)).filter((e) => e.flight_id === ARRIVING);
            const writtenAt = Math.max(...entries.map((e) => Number(e.id.split("-")[0])));
            assert.ok(shownAt - writtenAt < 2000, `shown ${shownAt - writtenAt} ms after the stream had it`);

            const row = page.locator(`#arrivals tr[data-flight="${ARRIVING}"]`);
            const count = (name: string) => row.locator(`td[data-count="${name}"]`).textContent();
            assert.deepEqual(
              await Promise.all(["bags", "final", "transfer", "itinerary_unknown", "next_unknown"].map(count)),
              ["8", "1", "5", "1", "1"],
            );
            assert.ok(seconds((await row.locator("td.countdown").textContent())!) <= 240);
            assert.deepEqual(
              await row.locator("li[data-next]").evaluateAll((items) => items.map((i) => i.textContent)),
              [
                `critical ${CRITICAL_NEXT} ${clock(departureOf(CRITICAL_NEXT))} · 40 min · 1 bag`,
                `hot ${HOT_NEXT} ${clock(departureOf(HOT_NEXT))} · 48 min · 2 bags`,
                `warm ${WARM_NEXT} ${clock(departureOf(WARM_NEXT))} · 61 min · 1 bag`,
                `ok ${OK_NEXT} ${clock(departureOf(OK_NEXT))} · 78 min · 1 bag`,
              ],
            );
            // Every arriving flight of the dataset, by arrival: the landed one first.
            assert.deepEqual(
              await page.locator("#arrivals tbody tr[data-flight]").evaluateAll((rows) =>
                rows.map((r) => r.getAttribute("data-flight"))
              ),
              [flight("EK0007"), ARRIVING, flight("AF1080"), flight("DL0030")],
            );
            assert.match(
              (await page.locator(`tr[data-flight="${flight("EK0007")}"] td.countdown`).textContent())!,
              /^landed 2:\d\d ago$/,
            );
          },
        );

        await t.step(
          "grades computed on the page equal the domain module's for the same data, most urgent first",
          async () => {
            const shown = await pageGrades(page);
            const expected = await domainGrades(run);
            assert.deepEqual(shown.atRisk, expected.atRisk);
            assert.deepEqual(sortRows(shown.connections), sortRows(expected.connections));
            assert.deepEqual(shown.atRisk.map((row) => [row[0], row[2]]), [
              ["0057200003", "critical"],
              ["0125100001", "critical"],
              ["0125100002", "hot"],
              ["0125100003", "hot"],
              ["0006400001", "hot"],
              ["0006400002", "hot"],
              ["0125100004", "warm"],
            ]);
          },
        );

        await t.step("screenshots of the board at wall and phone sizes, from this data", async () => {
          await page.screenshot({ path: `${ROOT}docs/board-wall.png` });
          const phone = await browser.newContext({ viewport: PHONE });
          const small = await phone.newPage();
          await small.goto(`http://127.0.0.1:${port}/`);
          await small.locator(`#arrivals tr[data-flight="${ARRIVING}"]`).waitFor({ timeout: 10_000 });
          const overflow = await small.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
          assert.ok(overflow <= 0, `the phone page is ${overflow} px wider than the screen`);
          await small.screenshot({ path: `${ROOT}docs/board-phone.png`, fullPage: true });
          await phone.close();
          assert.deepEqual(page.viewportSize(), WALL);
        });

        await t.step("a delay changes the countdown and the grades without a reload", async () => {
          const before = seconds((await page.locator(`tr[data-flight="${ARRIVING}"] td.countdown`).textContent())!);
          const { flights } = dataset();
          await run.send("flights", [{ ...flights[0]!, arrival_time: ARRIVAL + 300 }]);
          const bag = page.locator('#at-risk tr[data-bag="0125100002"]');
          await waitFor(async () => (await bag.getAttribute("data-grade")) === "critical", 10_000);
          const after = seconds((await page.locator(`tr[data-flight="${ARRIVING}"] td.countdown`).textContent())!);
          assert.ok(after - before >= 295 && after - before <= 305, `countdown ${before} s -> ${after} s`);
          assert.equal(await page.locator('#at-risk tr[data-bag="0125100004"]').getAttribute("data-grade"), "hot");
          assert.equal(await page.locator('#at-risk tr[data-bag="0125100005"]').getAttribute("data-grade"), "warm");
          const shown = await pageGrades(page);
          const expected = await domainGrades(run);
          assert.deepEqual(shown.atRisk, expected.atRisk);
          assert.deepEqual(sortRows(shown.connections), sortRows(expected.connections));
          assert.ok(await sameDocument(), "the page was reloaded");
        });

        await t.step("a bag search, from the keyboard, finds the bag's itinerary, routing and history", async () => {
          // Both revisions of its work archived, so the history the page shows is complete.
          await waitFor(async () => {
            const response = await fetch(`${run.historyUrl}/bags/0125100002`);
            return response.ok && (await response.json()).work.length === 2;
          }, 20_000);
          await page.keyboard.press("/");
          await page.keyboard.type("0125100002");
          await page.keyboard.press("Enter");
          const result = page.locator("#result .bag-result");
          await result.waitFor({ timeout: 10_000 });
          assert.equal(await result.locator("dd").first().textContent(), "0125100002");
          assert.equal(await result.locator("dd").nth(1).textContent(), `${ARRIVING} → ${HOT_NEXT}`);
          assert.deepEqual(await texts(page, "#result .bag-result tr[data-flight] td.routing-text"), [
            `${HOT_NEXT} departing ${clock(departureOf(HOT_NEXT))} UTC`,
          ]);
          assert.equal(await result.locator("tr[data-flight] .grade").getAttribute("data-grade"), "critical");
          // The archive's history, as `deno task history` prints it.
          const history = await (await fetch(`${run.historyUrl}/bags/0125100002`)).json();
          assert.equal(await result.locator("pre.timeline").textContent(), bagTimeline(history));
          assert.equal(await page.evaluate("document.activeElement?.id"), "result-title");

          await page.fill("#search-id", "0999999999");
          await page.press("#search-id", "Enter");
          await page.locator("#result .not-found").waitFor({ timeout: 10_000 });
          assert.equal(await page.locator("#result .not-found").textContent(), "No bag or flight 0999999999 is known.");
        });

        await t.step("a killed and restarted board is reconnected to by the open page, which catches up", async () => {
          await board.kill("SIGKILL");
          await waitFor(
            async () => (await page.locator("#status").getAttribute("data-state")) === "reconnecting",
            10_000,
          );
          // While no board runs, BA0286 leaves an hour later: its bags are no longer at risk.
          await run.send("flights", [{ ...onwardFlights[1]!, departure_time: departureOf(HOT_NEXT) + 3600 }]);
          await waitFor(
            async () =>
              (await streamEntries(run.redis, run.config)).some((e) =>
                e.bag_id === "0125100002" && e.departure_time === departureOf(HOT_NEXT) + 3600
              ),
            10_000,
          );
          board = await startBoard(run.env, port);
          await waitFor(async () => (await page.locator("#status").getAttribute("data-state")) === "live", 10_000);
          await waitFor(async () => (await page.locator('#at-risk tr[data-bag="0125100002"]').count()) === 0, 10_000);
          const connection = page.locator(`tr[data-flight="${ARRIVING}"] li[data-next="${HOT_NEXT}"]`);
          assert.equal(await connection.getAttribute("data-grade"), "ok");
          const shown = await pageGrades(page);
          const expected = await domainGrades(run);
          assert.deepEqual(shown.atRisk, expected.atRisk);
          assert.ok(await sameDocument(), "the page was reloaded");
        });

        await t.step(
          "every value is rendered as text: an entry whose exception looks like HTML shows it literally",
          async () => {
            const hostile = '<img src="x" onerror="document.title=\'pwned\'">';
            const fields = {
              flight_id: flight("XX0001"),
              bag_id: "0000000001",
              arrival_time: T + 300,
              departure_time: T + 300 + MCT,
              next_flight_id: flight("XX0002"),
              revision: 1,
              scanned_at: T,
              partition: 0,
              offset: "0",
              exceptions: hostile,
            };
            await run.redis.xadd(run.config.stream.key, "*", ...Object.entries(fields).flat().map(String));
            const row = page.locator('#at-risk tr[data-bag="0000000001"]');
            await row.waitFor({ timeout: 10_000 });
            assert.equal(await row.locator(".exception").textContent(), `${hostile} `);
            assert.equal(await page.locator("img").count(), 0);
            assert.equal(await page.title(), "Baggage hall board");
          },
        );

        await t.step("the page fetched nothing from another origin and had no script errors", () => {
          // The only errors: the event stream refused while no board ran.
          const unexpected = problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(p));
          assert.deepEqual(unexpected, []);
        });
        await close();
      });
    } finally {
      await board.kill("SIGKILL");
      await run.close();
    }
  },
});

/** HH:MM in UTC. */
function clock(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(11, 16);
}
