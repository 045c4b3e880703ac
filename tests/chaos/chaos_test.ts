/**
 * The short chaos run: `deno task chaos` with 10,000 bags, scenario 1 (every worker SIGKILLed twice at
 * random moments and restarted) and scenario 3 (Redis emptied twice, once after the work was published),
 * on a stack of its own (.stack/chaos-test, ports 46379/49092/49093) that it starts and stops.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { ReportRow } from "../../chaos/report.ts";
import { taskArgs } from "../../dev/tasks.ts";

/** The `chaos` task's command line in deno.json. */
const CHAOS_TASK = taskArgs("chaos");

Deno.test({
  name:
    "chaos: SIGKILLed workers and a Redis that lost its data leave Redis as a fault-free run, nothing lost or duplicated",
  async fn() {
    const reportFile = await Deno.makeTempFile({ suffix: ".json" });
    try {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: CHAOS_TASK,
        env: {
          CHAOS_BAGS: "10000",
          CHAOS_SCENARIOS: "1,3",
          CHAOS_KILLS_PER_WORKER: "2",
          CHAOS_PRODUCE_SECONDS: "6",
          CHAOS_STAGE_TIMEOUT_SECONDS: "90",
          CHAOS_STACK_DIR: ".stack/chaos-test",
          CHAOS_REDIS_PORT: "46379",
          CHAOS_KAFKA_PORT: "49092",
          CHAOS_KAFKA_CONTROLLER_PORT: "49093",
          CHAOS_REPORT_FILE: reportFile,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const output = new TextDecoder().decode(stdout);
      const log = `${output}\n${new TextDecoder().decode(stderr).slice(-5000)}`;
      const rows = JSON.parse(readFileSync(reportFile, "utf8")) as ReportRow[];

      assert.deepEqual(rows.map((row) => row.scenario.split(" ")[0]), ["0", "1", "3"], log);
      for (const row of rows) {
        assert.deepEqual(
          { scenario: row.scenario, lost: row.lost, duplicated: row.duplicated, wrong: row.wrong, passed: row.passed },
          { scenario: row.scenario, lost: 0, duplicated: 0, wrong: 0, passed: true },
          log,
        );
      }
      // Two kills planned per worker; a scanner kill is skipped when its scan round ends between two samples.
      assert.ok(rows[1]!.faults >= 6, `${rows[1]!.faults} kills`);
      assert.equal(rows[2]!.faults, 2, "Redis emptied twice");
      assert.equal(code, 0, log);
    } finally {
      await Deno.remove(reportFile);
    }
  },
});
