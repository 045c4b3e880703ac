/**
 * Connection risk: slack = next departure − arrival − minimum connection time; critical below 0, hot below
 * HOT_SLACK_SECONDS, warm below WARM_SLACK_SECONDS, else ok. Edges belong to the less urgent grade.
 */
import assert from "node:assert/strict";
import { connectionRisk, countGrades, worstGrade } from "../../../lib/domain/connection_risk.ts";
import { loadConfig } from "../../../lib/infra/config.ts";

const thresholds = { minConnectionSeconds: 2700, hotSlackSeconds: 900, warmSlackSeconds: 1800 };
const ARRIVAL = 1_800_000_000;
/** The departure that leaves `slack` seconds of slack. */
const departureWithSlack = (slack: number) => ARRIVAL + thresholds.minConnectionSeconds + slack;

Deno.test("the defaults are a 45 min minimum connection, hot below 15 min of slack, warm below 30 min", () => {
  assert.deepEqual(loadConfig("arrival-scanner", {}).risk, thresholds);
});

Deno.test("slack is the departure minus the arrival minus the minimum connection time", () => {
  assert.deepEqual(connectionRisk(ARRIVAL, ARRIVAL + 3600, thresholds), { slackSeconds: 900, grade: "warm" });
  assert.deepEqual(connectionRisk(ARRIVAL, ARRIVAL + 600, thresholds), { slackSeconds: -2100, grade: "critical" });
});

Deno.test("each edge takes the less urgent grade: slack 0 is hot, exactly HOT is warm, exactly WARM is ok", () => {
  const grade = (slack: number) => connectionRisk(ARRIVAL, departureWithSlack(slack), thresholds)?.grade;
  assert.equal(grade(-1), "critical");
  assert.equal(grade(-0.5), "critical");
  assert.equal(grade(0), "hot");
  assert.equal(grade(899), "hot");
  assert.equal(grade(900), "warm");
  assert.equal(grade(1799), "warm");
  assert.equal(grade(1800), "ok");
  assert.equal(grade(86_400), "ok");
});

Deno.test("a code instead of a departure has no connection to grade", () => {
  for (const code of [0, -1, -2, -3, -10]) {
    assert.equal(connectionRisk(ARRIVAL, code, thresholds), null, `code ${code}`);
  }
});

Deno.test("with hot and warm thresholds equal, nothing is warm; with a zero minimum connection, slack is the gap", () => {
  const noWarm = { ...thresholds, warmSlackSeconds: 900 };
  assert.equal(connectionRisk(ARRIVAL, departureWithSlack(899), noWarm)?.grade, "hot");
  assert.equal(connectionRisk(ARRIVAL, departureWithSlack(900), noWarm)?.grade, "ok");
  assert.deepEqual(connectionRisk(ARRIVAL, ARRIVAL + 60, { ...thresholds, minConnectionSeconds: 0 }), {
    slackSeconds: 60,
    grade: "hot",
  });
});

Deno.test("the worst grade of a connection is its most urgent bag's; none is ok", () => {
  assert.equal(worstGrade(["ok", "warm", "hot"]), "hot");
  assert.equal(worstGrade(["warm", "critical", "ok"]), "critical");
  assert.equal(worstGrade([]), "ok");
});

Deno.test("a flight's bags counted by grade leave out the bags with codes", () => {
  const values = [
    departureWithSlack(-60),
    departureWithSlack(0),
    departureWithSlack(1000),
    departureWithSlack(5000),
    0,
    -1,
    -3,
  ];
  assert.deepEqual(countGrades(ARRIVAL, values, thresholds), { critical: 1, hot: 1, warm: 1, ok: 1 });
});

Deno.test("HOT_SLACK_SECONDS above WARM_SLACK_SECONDS is refused at start, naming both", () => {
  assert.throws(
    () => loadConfig("board", { HOT_SLACK_SECONDS: "2000", WARM_SLACK_SECONDS: "1000" }),
    /'HOT_SLACK_SECONDS' must not exceed WARM_SLACK_SECONDS, got "2000"/,
  );
});
