/**
 * The fault scenarios: the five of issue 6, and those of issue 12 (Redis back from an older snapshot,
 * Redis with appendfsync everysec SIGKILLed, Redis down for minutes). Each injects its faults into a run at seeded moments (chosen
 * by progress, so that a fault always lands where the worker has work in hand) and reports each
 * fault's time to recover.
 */
import { delay } from "../../lib/infra/poll.ts";
import { connectRedis } from "../../lib/infra/redis.ts";
import { corrections } from "./dataset.ts";
import type { FaultRecord, PipelineRun } from "./pipeline.ts";
import { applied, type Component, type Progress, summary } from "./progress.ts";
import type { ScenarioNumber } from "./settings.ts";
import { type Role, ROLES } from "./workers.ts";

export interface Scenario {
  readonly number: ScenarioNumber;
  readonly name: string;
  /** Replicas of every worker. */
  readonly replicas: number;
  /** How the chaos stack's Redis persists during the run ("none" unless said). */
  readonly redisPersistence?: "none" | "aof";
  inject(run: PipelineRun, random: () => number): Promise<FaultRecord[]>;
}

const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** How much of its work (over both phases) a role has done, as the progress shows it. */
interface Work {
  readonly component: Component;
  readonly total: number;
  done(progress: Progress): number;
}

function workOf(run: PipelineRun, role: Role): Work {
  const [phase1, phase2] = run.dataset.phases;
  const flights = phase1.flights.length;
  const published = flights + corrections(run.dataset);
  switch (role) {
    case "flight-consumer":
      return { component: "flights", total: flights + phase2.flights.length, done: (p) => applied(p.offsets.flights) };
    case "bag-consumer":
      return {
        component: "bags",
        total: phase1.bags.length + phase2.bags.length,
        done: (p) => applied(p.offsets.bags),
      };
    case "bridge":
      return { component: "bridge", total: published, done: (p) => applied(p.offsets.bridge) };
    case "arrival-scanner":
      // Phase 2 is counted against its own digests: the flights its corrections leave unchanged are done already.
      return {
        component: "scanner",
        total: published,
        done: (
          p,
        ) => (p.phase === 0 ? p.scanner : flights + Math.max(0, p.scanner - (flights - corrections(run.dataset)))),
      };
  }
}

/** SIGKILLs replica `replica` of `role`, samples the progress, and restarts it unless told not to. */
async function kill(run: PipelineRun, role: Role, replica: number, restart: boolean) {
  await run.pool.stop(role, replica, "SIGKILL");
  const before = await run.monitor.sample();
  if (restart) run.pool.start(role, replica);
  const work = workOf(run, role);
  const at = `${pct(work.done(before) / work.total)} of its work (${work.done(before)}/${work.total})`;
  run.debug(`SIGKILL ${role}#${replica} at ${at}: ${JSON.stringify(summary(before))}`);
  return { before, clearedAt: Date.now(), at };
}

/**
 * Waits until `role` has done `fraction` of its work (of `of`) while replica `replica` runs; false when the
 * role's work ended first (the scanner runs only during scan rounds, which can end between two samples).
 */
async function reach(run: PipelineRun, role: Role, replica: number, fraction: number, of?: number) {
  const work = workOf(run, role);
  const target = Math.floor(fraction * (of ?? work.total));
  const over = role === "arrival-scanner" ? "scanned2" : "mirrored2";
  await run.until(
    (p) => (work.done(p) >= target && run.pool.get(role, replica) !== undefined) || run.reached(over),
    `${role} reaching ${pct(fraction)} of its work`,
  );
  return run.pool.get(role, replica) !== undefined;
}

/** The record of a kill that did not happen because the worker's work was over. */
const skipped = (role: Role, fraction: number): FaultRecord => ({
  what: `SIGKILL ${role} at ${pct(fraction)} of its work: skipped, its work was over first`,
  recoverySeconds: 0,
  skipped: true,
});

/** Injects `fault` (a Redis restart of some kind), sampling the progress just before; returns when it cleared. */
async function sampledFault(run: PipelineRun, fault: () => Promise<unknown>) {
  const before = await run.monitor.sample();
  await fault();
  return { before, clearedAt: Date.now() };
}

/** Stops Redis, removes its files and starts it empty: every key is lost. */
const loseRedis = (run: PipelineRun) => sampledFault(run, () => run.stack.restartRedisEmpty());

const kills: Scenario = {
  number: 1,
  name: "each worker SIGKILLed at random moments and restarted",
  replicas: 1,
  async inject(run, random) {
    const plans = ROLES.map((role) => ({
      role,
      fractions: Array.from({ length: run.settings.killsPerWorker }, () => 0.05 + 0.9 * random()).sort(),
    }));
    // The consumers' phase 2 is a few hundred messages: their kills are spread over phase 1.
    const [phase1] = run.dataset.phases;
    const phase1Work: Partial<Record<Role, number>> = {
      "flight-consumer": phase1.flights.length,
      "bag-consumer": phase1.bags.length,
    };
    const perRole = await Promise.all(plans.map(async ({ role, fractions }) => {
      const records: FaultRecord[] = [];
      for (const fraction of fractions) {
        if (!(await reach(run, role, 0, fraction, phase1Work[role]))) {
          records.push(skipped(role, fraction));
          continue;
        }
        const { before, clearedAt, at } = await kill(run, role, 0, true);
        records.push({
          what: `SIGKILL ${role} at ${at}, restarted`,
          recoverySeconds: await run.recovery([workOf(run, role).component], before, clearedAt, { role, replica: 0 }),
        });
      }
      return records;
    }));
    return perRole.flat();
  },
};

const kafkaOutage: Scenario = {
  number: 2,
  name: "Kafka broker stopped mid-run and restarted",
  replicas: 1,
  async inject(run, random) {
    const fraction = 0.2 + 0.4 * random();
    await reach(run, "bag-consumer", 0, fraction);
    const before = await run.monitor.sample();
    const stoppedAt = Date.now();
    await run.stack.stopKafka();
    await delay(run.settings.kafkaOutageMs);
    await run.stack.startKafka();
    const clearedAt = Date.now();
    const down = ((clearedAt - stoppedAt) / 1000).toFixed(0);
    return [{
      what: `Kafka down ${down} s (stopped, ${run.settings.kafkaOutageMs / 1000} s, started) at ${
        pct(fraction)
      } of bags`,
      recoverySeconds: await run.recovery(["flights", "bags", "bridge"], before, clearedAt),
    }];
  },
};

const redisLoss: Scenario = {
  number: 3,
  name: "Redis restarted without persistence (data lost) twice",
  replicas: 1,
  async inject(run, random) {
    // The second loss comes once phase 1's work is published and mirrored, with phase 2 just produced:
    // the scanner's publication state and the stream are lost too.
    const second = run.at("produced2", () => loseRedis(run));
    const fraction = 0.2 + 0.6 * random();
    await reach(run, "bag-consumer", 0, fraction);
    const first = await loseRedis(run);
    const records = [{
      what: `Redis emptied at ${pct(fraction)} of phase-1 bags (consumers rebuild from Kafka)`,
      recoverySeconds: await run.recovery(["flights", "bags"], first.before, first.clearedAt),
    }];
    const { before, clearedAt } = await second;
    records.push({
      what: "Redis emptied after phase 1 was published and mirrored (everything rebuilt from Kafka)",
      recoverySeconds: await run.recovery(["flights", "bags", "bridge"], before, clearedAt),
    });
    return records;
  },
};

/** A script that keeps Redis busy for ARGV[1] seconds: past busy-reply-threshold (5 s) other clients get BUSY. */
const BUSY_SCRIPT = `local stop = tonumber(redis.call('TIME')[1]) + tonumber(ARGV[1])
while tonumber(redis.call('TIME')[1]) < stop do end
return 1`;

const slowRedis: Scenario = {
  number: 4,
  name: "Redis slow (CLIENT PAUSE 2 s cycles, 7 s busy scripts)",
  replicas: 1,
  async inject(run, random) {
    const fraction = 0.1 + 0.3 * random();
    await reach(run, "bag-consumer", 0, fraction);
    const before = await run.monitor.sample();
    const redis = await connectRedis(run.stack.redisUrl, "chaos-slow");
    const counts = { pauses: 0, busy: 0 };
    const end = Date.now() + run.settings.slowRedisMs;
    try {
      for (let cycle = 1; Date.now() < end; cycle++) {
        if (cycle % 4 === 0) {
          await redis.eval(BUSY_SCRIPT, 0, 7);
          counts.busy += 1;
        } else {
          await redis.call("CLIENT", "PAUSE", "2000", "ALL");
          counts.pauses += 1;
          await delay(2500);
        }
      }
    } finally {
      redis.disconnect();
    }
    const clearedAt = Date.now();
    return [{
      what: `Redis slowed ${run.settings.slowRedisMs / 1000} s from ${pct(fraction)} of bags: ${counts.pauses} ` +
        `pauses of 2 s, ${counts.busy} scripts busy 7 s`,
      recoverySeconds: await run.recovery(["flights", "bags", "bridge"], before, clearedAt),
    }];
  },
};

const replicas: Scenario = {
  number: 5,
  name: "two replicas of every worker, one of each SIGKILLed",
  replicas: 2,
  async inject(run, random) {
    const phase1Flights = run.dataset.phases[0].flights.length;
    const plans = ROLES.map((role) => ({ role, fraction: 0.2 + 0.6 * random(), replica: random() < 0.5 ? 0 : 1 }));
    return await Promise.all(plans.map(async ({ role, fraction, replica }) => {
      // The scanner and the bridge are killed during the first scan round.
      const of = role === "arrival-scanner" || role === "bridge" ? phase1Flights : undefined;
      if (!(await reach(run, role, replica, fraction, of))) return skipped(role, fraction);
      if (role === "arrival-scanner") run.retired.add(replica);
      const { before, clearedAt, at } = await kill(run, role, replica, false);
      return {
        what: `SIGKILL ${role} replica ${replica} of 2 at ${at}, not restarted`,
        recoverySeconds: await run.recovery([workOf(run, role).component], before, clearedAt),
      };
    }));
  },
};

/** Restarts Redis without saving, so that it comes back from the snapshot taken earlier with SAVE. */
const rollBackRedis = (run: PipelineRun) => sampledFault(run, () => run.stack.restartRedis());

/** SIGKILLs Redis and starts it again from what it had written to disk. */
const crashRedis = (run: PipelineRun) => sampledFault(run, () => run.stack.crashRedis());

const olderSnapshot: Scenario = {
  number: 6,
  name: "Redis restarted from an older RDB snapshot, twice",
  replicas: 1,
  async inject(run, random) {
    // The second snapshot is taken once phase 1 is published and mirrored, and Redis goes back to it once
    // phase 2's corrections are: consumers, scanner revisions and the stream all went back in time.
    const secondSnapshot = run.at("mirrored1", () => run.redis.save());
    const secondRollback = run.at("mirrored2", async () => {
      await secondSnapshot;
      return await rollBackRedis(run);
    });
    const saveAt = 0.1 + 0.3 * random();
    await reach(run, "bag-consumer", 0, saveAt);
    await run.redis.save();
    const rollbackAt = saveAt + 0.3;
    await reach(run, "bag-consumer", 0, rollbackAt);
    const first = await rollBackRedis(run);
    const records = [{
      what: `Redis back to its snapshot of ${pct(saveAt)} of bags at ${pct(rollbackAt)} of bags`,
      recoverySeconds: await run.recovery(["flights", "bags"], first.before, first.clearedAt),
    }];
    const { before, clearedAt } = await secondRollback;
    records.push({
      what: "Redis back to its snapshot of phase 1 after phase 2's corrections were published and mirrored",
      recoverySeconds: await run.recovery(["flights", "bags", "bridge"], before, clearedAt),
    });
    return records;
  },
};

const aofCrash: Scenario = {
  number: 7,
  name: "Redis with appendonly yes, appendfsync everysec SIGKILLed under load, twice",
  replicas: 1,
  redisPersistence: "aof",
  async inject(run, random) {
    const second = run.at("produced2", () => crashRedis(run));
    const fraction = 0.2 + 0.5 * random();
    await reach(run, "bag-consumer", 0, fraction);
    const first = await crashRedis(run);
    const records = [{
      what: `Redis SIGKILLed at ${pct(fraction)} of bags and restarted from its AOF`,
      recoverySeconds: await run.recovery(["flights", "bags"], first.before, first.clearedAt),
    }];
    const late = await second;
    records.push({
      what: "Redis SIGKILLed as phase 2 was produced (phase 1's work published and mirrored) and restarted",
      recoverySeconds: await run.recovery(["flights", "bags", "bridge"], late.before, late.clearedAt),
    });
    return records;
  },
};

const redisOutage: Scenario = {
  number: 8,
  name: "Redis down for minutes mid-run (AOF, data kept) and restarted",
  replicas: 1,
  redisPersistence: "aof",
  async inject(run, random) {
    const fraction = 0.2 + 0.4 * random();
    await reach(run, "bag-consumer", 0, fraction);
    const before = await run.monitor.sample();
    const stoppedAt = Date.now();
    await run.stack.stopRedis();
    await delay(run.settings.redisOutageMs);
    await run.stack.startRedis();
    const clearedAt = Date.now();
    return [{
      what: `Redis down ${((clearedAt - stoppedAt) / 1000).toFixed(0)} s at ${pct(fraction)} of bags`,
      recoverySeconds: await run.recovery(["flights", "bags", "bridge"], before, clearedAt),
    }];
  },
};

/** The scenarios by number. */
export const SCENARIOS: Readonly<Record<ScenarioNumber, Scenario>> = {
  1: kills,
  2: kafkaOutage,
  3: redisLoss,
  4: slowRedis,
  5: replicas,
  6: olderSnapshot,
  7: aofCrash,
  8: redisOutage,
};
