/**
 * The short chaos runs: `deno task chaos` with 10,000 bags (and the largest valid flight) on a stack of its own
 * (.stack/chaos-test, ports 46379/49092/49093/45432) that it starts and stops. Every scenario's final state must be the
 * fault-free run's, Redis and the archive: nothing lost, duplicated or different.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { ReportRow } from "../../../tools/chaos/report.ts";
import { taskArgs } from "../../../tools/processes.ts";

/** The `chaos` task's command line in deno.json. */
const CHAOS_TASK = taskArgs("chaos");

/** Runs the chaos task with `env` and returns its report rows and output. */
async function runChaos(env: Record<string, string>) {
  const reportFile = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: CHAOS_TASK,
      env: {
        CHAOS_BAGS: "10000",
        CHAOS_KILLS_PER_WORKER: "2",
        CHAOS_PRODUCE_SECONDS: "6",
        CHAOS_STAGE_TIMEOUT_SECONDS: "90",
        CHAOS_STACK_DIR: ".stack/chaos-test",
        CHAOS_REDIS_PORT: "46379",
        CHAOS_KAFKA_PORT: "49092",
        CHAOS_KAFKA_CONTROLLER_PORT: "49093",
        CHAOS_POSTGRES_PORT: "45432",
        CHAOS_REPORT_FILE: reportFile,
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = `${new TextDecoder().decode(stdout)}\n${new TextDecoder().decode(stderr).slice(-5000)}`;
    const rows = JSON.parse(readFileSync(reportFile, "utf8")) as ReportRow[];
    return { code, log, rows };
  } finally {
    await Deno.remove(reportFile);
  }
}

function assertNothingLost(rows: readonly ReportRow[], log: string) {
  for (const row of rows) {
    assert.deepEqual(
      { scenario: row.scenario, lost: row.lost, duplicated: row.duplicated, wrong: row.wrong, passed: row.passed },
      { scenario: row.scenario, lost: 0, duplicated: 0, wrong: 0, passed: true },
      log,
    );
  }
}

Deno.test({
  name: "chaos: SIGKILLed workers, and a Redis emptied, rolled back to older snapshots or SIGKILLed with an " +
    "everysec AOF, leave Redis as a fault-free run, nothing lost or duplicated",
  async fn() {
    const { code, log, rows } = await runChaos({ CHAOS_SCENARIOS: "1,3,6,7" });
    assert.deepEqual(rows.map((row) => row.scenario.split(" ")[0]), ["0", "1", "3", "6", "7"], log);
    assertNothingLost(rows, log);
    // Two kills planned per worker; a scanner kill is skipped when its scan round ends between two samples.
    assert.ok(rows[1]!.faults >= 6, `${rows[1]!.faults} kills`);
    assert.deepEqual(rows.slice(2).map((row) => row.faults), [2, 2, 2], "two Redis faults in each of 3, 6 and 7");
    assert.equal(code, 0, log);
  },
});

Deno.test({
  name:
    "chaos: Kafka down, Redis down and PostgreSQL down (20 s each) leave Redis and the archive as a fault-free run, nothing lost or duplicated",
  async fn() {
    const { code, log, rows } = await runChaos({
      CHAOS_SCENARIOS: "2,8,9",
      CHAOS_KAFKA_OUTAGE_SECONDS: "20",
      CHAOS_REDIS_OUTAGE_SECONDS: "20",
      CHAOS_POSTGRES_OUTAGE_SECONDS: "20",
    });
    assert.deepEqual(rows.map((row) => row.scenario.split(" ")[0]), ["0", "2", "8", "9"], log);
    assertNothingLost(rows, log);
    assert.deepEqual(rows.slice(1).map((row) => row.faults), [1, 1, 1]);
    assert.equal(code, 0, log);
  },
});
