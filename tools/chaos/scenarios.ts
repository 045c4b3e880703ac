/**
 * The fault scenarios: the five of issue 6, those of issue 12 (Redis back from an older snapshot,
 * Redis with appendfsync everysec SIGKILLed, Redis down for minutes), and PostgreSQL down (issue 15). Each injects its faults into a run at seeded moments (chosen
 * by progress, so that a fault always lands where the worker has work in hand) and reports each
 * fault's time to recover.
 */
import { type FaultRecord, type InjectedFault, lasted, pct, recorded } from "./faults.ts";
import type { PipelineRun } from "./pipeline.ts";
import type { Component } from "./progress.ts";
import { crashRedis, loseRedis, outage, rollBackRedis, slowRedis } from "./server_faults.ts";
import type { ScenarioNumber } from "./settings.ts";
import { kill, reach, reachBags, skipped, workOf } from "./worker_kills.ts";
import { type Role, ROLES } from "./workers.ts";

/** A scenario: the faults it injects into a run, and the run it needs. */
export interface Scenario {
  readonly name: string;
  /** Replicas of every worker (1 unless said). */
  readonly replicas?: number;
  /** How the chaos stack's Redis persists during the run ("none" unless said). */
  readonly redisPersistence?: "none" | "aof";
  inject(run: PipelineRun, random: () => number): Promise<FaultRecord[]>;
}

/** The consumers, which recover from a fault in phase 1 (the bridge has nothing to mirror yet). */
const CONSUMERS: readonly Component[] = ["flights", "bags"];
/** The consumers and the bridge. */
const CONSUMERS_AND_BRIDGE: readonly Component[] = [...CONSUMERS, "bridge"];

/** Injects `fault` once, at `fraction` of the bags, and records it with the text `describe` gives. */
async function once<F extends InjectedFault>(
  run: PipelineRun,
  fraction: number,
  fault: () => Promise<F>,
  describe: (fault: F, at: string) => string,
): Promise<FaultRecord[]> {
  await reachBags(run, fraction);
  const injected = await fault();
  return [await recorded(run, describe(injected, pct(fraction)), CONSUMERS_AND_BRIDGE, injected)];
}

/**
 * Records a fault of phase 1, which the consumers recover from, then a later one once it happened, which
 * the bridge recovers from too; each comes with its description.
 */
async function earlyAndLate(
  run: PipelineRun,
  early: readonly [what: string, fault: InjectedFault],
  late: readonly [what: string, fault: Promise<InjectedFault>],
): Promise<FaultRecord[]> {
  const records = [await recorded(run, early[0], CONSUMERS, early[1])];
  records.push(await recorded(run, late[0], CONSUMERS_AND_BRIDGE, await late[1]));
  return records;
}

/**
 * Injects `fault` twice: at `fraction` of the bags, and once phase 2 is produced (phase 1's work published
 * and mirrored: the scanner's publication state and the stream are hit too). `describe` gives each its text.
 */
async function twice(
  run: PipelineRun,
  fault: (run: PipelineRun) => Promise<InjectedFault>,
  fraction: number,
  describe: (at: string) => [early: string, late: string],
): Promise<FaultRecord[]> {
  const late = run.stages.at("produced2", () => fault(run));
  await reachBags(run, fraction);
  const [earlyWhat, lateWhat] = describe(pct(fraction));
  return await earlyAndLate(run, [earlyWhat, await fault(run)], [lateWhat, late]);
}

/** Scenario 1: each worker SIGKILLed CHAOS_KILLS_PER_WORKER times at random moments, and restarted. */
async function kills(run: PipelineRun, random: () => number): Promise<FaultRecord[]> {
  const plans = ROLES.map((role) => ({
    role,
    fractions: Array.from({ length: run.settings.killsPerWorker }, () => 0.05 + 0.9 * random()).sort(),
  }));
  // The consumers' phase 2 is a few hundred messages: their kills are spread over phase 1.
  const [phase1] = run.dataset.phases;
  const phase1Work: Partial<Record<Role, number>> = {
    "flight-consumer": phase1.flights.length,
    "bag-consumer": phase1.bags.length,
    "archiver": phase1.bags.length,
  };
  const perRole = await Promise.all(plans.map(async ({ role, fractions }) => {
    const records: FaultRecord[] = [];
    for (const fraction of fractions) {
      if (!(await reach(run, role, 0, fraction, phase1Work[role]))) {
        records.push(skipped(role, fraction));
        continue;
      }
      const killed = await kill(run, role, 0, true);
      const what = `SIGKILL ${role} at ${killed.at}, restarted`;
      records.push(await recorded(run, what, [workOf(run, role).component], killed, { role, replica: 0 }));
    }
    return records;
  }));
  return perRole.flat();
}

/** Scenario 2: the Kafka broker stopped for CHAOS_KAFKA_OUTAGE_SECONDS, then started again. */
const kafkaOutage = (run: PipelineRun, random: () => number) =>
  once(
    run,
    0.2 + 0.4 * random(),
    () => outage(run, () => run.stack.stopKafka(), run.settings.kafkaOutageMs, () => run.stack.startKafka()),
    (down, at) =>
      `Kafka down ${lasted(down)} s (stopped, ${run.settings.kafkaOutageMs / 1000} s, started) at ${at} of bags`,
  );

/** Scenario 3: Redis emptied early in phase 1, and again once phase 2 is produced. */
const redisLoss = (run: PipelineRun, random: () => number) =>
  twice(run, loseRedis, 0.2 + 0.6 * random(), (at) => [
    `Redis emptied at ${at} of phase-1 bags (consumers rebuild from Kafka)`,
    "Redis emptied after phase 1 was published and mirrored (everything rebuilt from Kafka)",
  ]);

/** Scenario 4: Redis slowed for CHAOS_SLOW_REDIS_SECONDS by client pauses and busy scripts. */
const slowedRedis = (run: PipelineRun, random: () => number) =>
  once(
    run,
    0.1 + 0.3 * random(),
    () => slowRedis(run, run.settings.slowRedisMs),
    (slow, at) =>
      `Redis slowed ${run.settings.slowRedisMs / 1000} s from ${at} of bags: ${slow.pauses} pauses of 2 s, ` +
      `${slow.busy} scripts busy 7 s`,
  );

/** Scenario 5: one replica of each worker SIGKILLed for good; the other goes on alone. */
async function replicas(run: PipelineRun, random: () => number): Promise<FaultRecord[]> {
  const phase1Flights = run.dataset.phases[0].flights.length;
  const plans = ROLES.map((role) => ({ role, fraction: 0.2 + 0.6 * random(), replica: random() < 0.5 ? 0 : 1 }));
  return await Promise.all(plans.map(async ({ role, fraction, replica }) => {
    // The scanner and the bridge are killed during the first scan round.
    const of = role === "arrival-scanner" || role === "bridge" ? phase1Flights : undefined;
    if (!(await reach(run, role, replica, fraction, of))) return skipped(role, fraction);
    if (role === "arrival-scanner") run.retired.add(replica);
    const killed = await kill(run, role, replica, false);
    const what = `SIGKILL ${role} replica ${replica} of 2 at ${killed.at}, not restarted`;
    return await recorded(run, what, [workOf(run, role).component], killed);
  }));
}

/** Scenario 6: Redis back to an older snapshot, in phase 1 and after phase 2's corrections. */
async function olderSnapshot(run: PipelineRun, random: () => number): Promise<FaultRecord[]> {
  // The second snapshot is taken once phase 1 is published and mirrored, and Redis goes back to it once
  // phase 2's corrections are: consumers, scanner revisions and the stream all went back in time.
  const secondSnapshot = run.stages.at("mirrored1", () => run.redis.save());
  const secondRollback = run.stages.at("mirrored2", async () => {
    await secondSnapshot;
    return await rollBackRedis(run);
  });
  const saveAt = await reachBags(run, 0.1 + 0.3 * random());
  await run.redis.save();
  const rollbackAt = await reachBags(run, saveAt + 0.3);
  return await earlyAndLate(
    run,
    [`Redis back to its snapshot of ${pct(saveAt)} of bags at ${pct(rollbackAt)} of bags`, await rollBackRedis(run)],
    ["Redis back to its snapshot of phase 1 after phase 2's corrections were published and mirrored", secondRollback],
  );
}

/** Scenario 7: Redis with an everysec AOF SIGKILLed in phase 1, and again once phase 2 is produced. */
const aofCrash = (run: PipelineRun, random: () => number) =>
  twice(run, crashRedis, 0.2 + 0.5 * random(), (at) => [
    `Redis SIGKILLed at ${at} of bags and restarted from its AOF`,
    "Redis SIGKILLed as phase 2 was produced (phase 1's work published and mirrored) and restarted",
  ]);

/** Scenario 8: Redis stopped for CHAOS_REDIS_OUTAGE_SECONDS (its AOF keeps the data), then started again. */
const redisOutage = (run: PipelineRun, random: () => number) =>
  once(
    run,
    0.2 + 0.4 * random(),
    () => outage(run, () => run.stack.redis.stop(), run.settings.redisOutageMs, () => run.stack.redis.start()),
    (down, at) => `Redis down ${lasted(down)} s at ${at} of bags`,
  );

/** Scenario 9: PostgreSQL stopped for CHAOS_POSTGRES_OUTAGE_SECONDS while the archiver works, then started. */
async function postgresOutage(run: PipelineRun, random: () => number): Promise<FaultRecord[]> {
  const fraction = 0.2 + 0.4 * random();
  await reachBags(run, fraction);
  const down = await outage(
    run,
    () => run.stack.stopPostgres(),
    run.settings.postgresOutageMs,
    () => run.stack.startPostgres(),
  );
  return [await recorded(run, `PostgreSQL down ${lasted(down)} s at ${pct(fraction)} of bags`, ["archive"], down)];
}

/** The scenarios by number. */
export const SCENARIOS: Readonly<Record<ScenarioNumber, Scenario>> = {
  1: { name: "each worker SIGKILLed at random moments and restarted", inject: kills },
  2: { name: "Kafka broker stopped mid-run and restarted", inject: kafkaOutage },
  3: { name: "Redis restarted without persistence (data lost) twice", inject: redisLoss },
  4: { name: "Redis slow (CLIENT PAUSE 2 s cycles, 7 s busy scripts)", inject: slowedRedis },
  5: { name: "two replicas of every worker, one of each SIGKILLed", replicas: 2, inject: replicas },
  6: { name: "Redis restarted from an older RDB snapshot, twice", inject: olderSnapshot },
  7: {
    name: "Redis with appendonly yes, appendfsync everysec SIGKILLed under load, twice",
    redisPersistence: "aof",
    inject: aofCrash,
  },
  8: {
    name: "Redis down for minutes mid-run (AOF, data kept) and restarted",
    redisPersistence: "aof",
    inject: redisOutage,
  },
  9: { name: "PostgreSQL stopped under load and restarted", inject: postgresOutage },
};
