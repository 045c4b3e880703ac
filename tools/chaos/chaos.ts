/**
 * `deno task chaos`: starts a stack of its own (CHAOS_STACK_DIR, ports 36379/39092/39093/35432 by default, never the
 * dev or test stack's), runs the seeded dataset through the whole pipeline once without faults and once per
 * scenario with faults, compares each final Redis state and archive with the fault-free one, prints the report, stops
 * the stack, and exits 1 if any run lost, duplicated or changed anything.
 */
import { writeFileSync } from "node:fs";
import { ConfigError } from "../../lib/infra/config.ts";
import { exit } from "../../lib/infra/runtime.ts";
import { buildDataset, corrections } from "./dataset.ts";
import { PipelineRun, type RunOutcome } from "./pipeline.ts";
import { failedRow, formatReport, type ReportRow, reportRow } from "./report.ts";
import { SCENARIOS } from "./scenarios.ts";
import { type ChaosSettings, loadChaosSettings } from "./settings.ts";
import { seededRandom } from "../seeded_random.ts";
import { ChaosStack } from "./stack.ts";
import { compareStates } from "./state.ts";
import type { ChaosDataset } from "./dataset.ts";

const log = (message: string) => console.error(`chaos: ${message}`);

/** What a fault-free run must produce, from the dataset alone: a check of the reference run itself. */
function baselineProblems(dataset: ChaosDataset, outcome: RunOutcome): string[] {
  const [phase1, phase2] = dataset.phases;
  const changed = new Set(
    [...dataset.digests[1]].filter(([id, digest]) => dataset.digests[0].get(id) !== digest).map(([id]) => id),
  );
  const latest = new Map([...phase1.flights, ...phase2.flights].map((flight) => [flight.id, flight]));
  const entries = phase1.flights.reduce((sum, flight) => sum + flight.bags.length, 0) +
    [...changed].reduce((sum, id) => sum + latest.get(id)!.bags.length, 0);
  const archived = (kind: string) =>
    [...outcome.state.archive].filter(([row]) => row.startsWith(`${kind} `)).reduce((sum, [, n]) => sum + n, 0);
  const expected = {
    "archived flight versions": phase1.flights.length + phase2.flights.length,
    "archived itineraries": phase1.bags.length + phase2.bags.length,
    "work messages": phase1.flights.length + corrections(dataset),
    "stream entries": entries,
    "flight:count": latest.size,
    "bag:count": new Set([...phase1.bags, ...phase2.bags].map((bag) => bag.id)).size,
  };
  const actual = {
    "archived flight versions": archived("flight"),
    "archived itineraries": archived("bag"),
    "work messages": outcome.state.workMessages,
    "stream entries": outcome.state.streamEntries,
    "flight:count": Number(JSON.parse(outcome.state.keys.get("flight:count") ?? "0")),
    "bag:count": Number(JSON.parse(outcome.state.keys.get("bag:count") ?? "0")),
  };
  return Object.entries(expected).filter(([name, value]) => actual[name as keyof typeof actual] !== value)
    .map(([name, value]) => `fault-free run: ${name} is ${actual[name as keyof typeof actual]}, expected ${value}`);
}

async function runAll(settings: ChaosSettings, stack: ChaosStack): Promise<ReportRow[]> {
  // Flights arrive from 30 minutes from now over three hours: inside every scan's window, none landing during the runs.
  const dataset = buildDataset({
    seed: settings.seed,
    bags: settings.bags,
    startSeconds: Math.floor(Date.now() / 1000) + 1800,
  });
  const [phase1, phase2] = dataset.phases;
  log(
    `dataset: ${dataset.generatedBags} bags, ${phase1.flights.length} flights; phase 2: ${phase2.bags.length} late ` +
      `bags, ${phase2.flights.length} delayed flights, ${corrections(dataset)} corrections`,
  );
  log("fault-free run…");
  const baseline = await (await PipelineRun.create("baseline", stack, dataset, settings)).execute(async () => []);
  const rows = [
    reportRow("0 fault-free", baseline, compareStates(baseline.state, baseline.state), settings.maxRssMb, [
      ...baselineProblems(dataset, baseline),
      ...[...baseline.state.items].filter(([, count]) => count > 1).slice(0, 5).map(([item]) => `duplicate: ${item}`),
    ]),
  ];
  for (const number of settings.scenarios) {
    const scenario = SCENARIOS[number];
    const label = `${number} ${scenario.name}`;
    log(`scenario ${label}…`);
    try {
      await stack.up(); // a failed scenario may have left a server stopped
      await stack.redis.usePersistence(scenario.redisPersistence ?? "none");
      const run = await PipelineRun.create(`s${number}`, stack, dataset, settings, scenario.replicas);
      const outcome = await run.execute((r) => scenario.inject(r, seededRandom(settings.seed * 31 + number)));
      rows.push(reportRow(label, outcome, compareStates(baseline.state, outcome.state), settings.maxRssMb));
    } catch (error) {
      rows.push(failedRow(label, error));
    }
    log(`${label}: ${rows.at(-1)!.passed ? "PASS" : "FAIL"}`);
  }
  return rows;
}

let settings: ChaosSettings;
try {
  settings = loadChaosSettings();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  exit(2);
}
const stack = new ChaosStack(settings.stack);
let rows: ReportRow[] = [];
try {
  log(`starting the chaos stack (${stack.redisUrl}, ${stack.brokers}, ${stack.settings.dir})`);
  await stack.up();
  rows = await runAll(settings, stack);
} catch (error) {
  rows.push(failedRow("setup", error));
} finally {
  if (!settings.keepStack) await stack.down();
}
console.log(formatReport(rows));
if (settings.reportFile) writeFileSync(settings.reportFile, JSON.stringify(rows, null, 2));
exit(rows.every((row) => row.passed) ? 0 : 1);
