/**
 * A real Prometheus (Debian's) scraping the real processes, each a subprocess, during a short run of the
 * pipeline against the test stack: every Grafana panel's query must return data, every metric the
 * dashboard and the alerts use must exist, and each process' /metrics must pass `promtool check metrics`.
 * Ports: processes 18001-18008 (the archiver's history 18007, in a PostgreSQL schema of its own), Prometheus 19090,
 * redis_exporter 19121.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../lib/infra/config.ts";
import { PROCESSES, type ServiceName } from "../../lib/processes.ts";
import { appliedOffsetsKey } from "../../lib/infra/keys.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { dashboardQueries } from "../../observability/grafana/dashboard.ts";
import {
  ALERT_RULES_FILE,
  ensurePrometheusInstalled,
  ensureRedisExporterInstalled,
  prometheusArgs,
  scrapeConfig,
} from "../../tools/stack/prometheus_server.ts";
import { freshRedis, isolatedEnvironment, produce, testKafka } from "../_helpers/fixtures.ts";
import { testSchema } from "../_helpers/postgres.ts";
import { startWorker, type WorkerProcess } from "../_helpers/processes.ts";
import { appliedMessages } from "../_helpers/redis_state.ts";
import { TEST_STACK_ENV } from "../_helpers/test_stack.ts";
import { type ChildProcess, spawnChild } from "../../tools/processes.ts";
import { instantQuery, metricNames, parseYaml, ROOT, run, storedMetricNames } from "./_tools.ts";

/** Each process on its default metrics port plus 10,000, clear of a running dev stack. */
const PORTS = Object.fromEntries(
  (Object.keys(PROCESSES) as ServiceName[]).map((name) => [name, PROCESSES[name].metricsPort + 10_000]),
) as Record<ServiceName, number>;
const PROMETHEUS = "127.0.0.1:19090";
const EXPORTER = "127.0.0.1:19121";
const BASE_URL = `http://${PROMETHEUS}`;
/** The environment of Prometheus and the exporter: only PATH (their flags say the rest). */
const TOOL_ENV = { PATH: Deno.env.get("PATH") };

const missing = (() => {
  try {
    ensurePrometheusInstalled();
    ensureRedisExporterInstalled();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
})();
if (missing) console.warn(`Prometheus scrape test skipped: ${missing}`);
const producerExists = existsSync(join(ROOT, PROCESSES.producer.entrypoint));

/** Whether a query's answer holds at least one finite value. */
const hasData = (samples: { value: number }[]) => samples.some((sample) => Number.isFinite(sample.value));

Deno.test({
  name: "Prometheus scraping the real processes answers every dashboard query with data during a pipeline run",
  ignore: missing !== undefined,
  async fn(t) {
    const env = isolatedEnvironment("flight-consumer");
    const config = loadConfig("flight-consumer", env);
    const redis = await freshRedis(config);
    const kafka = testKafka(config);
    const admin = kafka.admin();
    const dir = await Deno.makeTempDir({ prefix: "prometheus-scrape-" });
    const schema = await testSchema();
    const children: ChildProcess[] = [];
    const workers: Partial<Record<ServiceName, WorkerProcess>> = {};
    const start = (service: ServiceName, extra: Record<string, string> = {}) => {
      workers[service] = startWorker(PROCESSES[service].entrypoint, {
        ...env,
        KAFKA_GROUP_ID: `${env.KAFKA_GROUP_ID}-${service}`,
        METRICS_PORT: String(PORTS[service]),
        ...extra,
      });
    };
    const diagnostics = () =>
      Object.entries(workers).map(([name, worker]) => `--- ${name}\n${worker.output().slice(-2000)}`).join("\n") +
      children.map((child) => `\n--- ${child.name}\n${child.output().slice(-2000)}`).join("");
    try {
      const redisAddress = new URL(env.REDIS_URL ?? TEST_STACK_ENV.REDIS_URL);
      children.push(spawnChild({
        command: "prometheus-redis-exporter",
        args: ["-redis.addr", `redis://${redisAddress.host}`, "-web.listen-address", EXPORTER],
        env: TOOL_ENV,
      }));
      const configFile = join(dir, "prometheus.yml");
      const services = Object.fromEntries(
        Object.entries(PORTS).map(([service, port]) => [service, `127.0.0.1:${port}`]),
      ) as Record<ServiceName, string>;
      await Deno.writeTextFile(
        configFile,
        scrapeConfig({
          intervalSeconds: 1,
          prometheusAddress: PROMETHEUS,
          redisExporterAddress: EXPORTER,
          services,
          rulesFile: ALERT_RULES_FILE,
        }),
      );
      children.push(spawnChild({
        command: "prometheus",
        args: prometheusArgs(configFile, join(dir, "data"), PROMETHEUS),
        env: TOOL_ENV,
      }));
      await waitFor(
        async () => (await fetch(`${BASE_URL}/-/ready`).then((r) => r.body?.cancel().then(() => r.ok))),
        30_000,
        diagnostics,
      );

      // Consumers, bridge, archiver, board and tail first, so Prometheus sees their histograms empty before data flows.
      for (const service of ["flight-consumer", "bag-consumer", "bridge", "tail"] as const) start(service);
      start("archiver", { POSTGRES_URL: schema.url, HISTORY_PORT: String(PORTS.archiver - 1) });
      start("board", { BOARD_HOST: "127.0.0.1", BOARD_PORT: String(PORTS.board - 1) });
      const upJobs = async (jobs: string[]) => {
        const up = await instantQuery(BASE_URL, `up == 1`);
        return jobs.every((job) => up.some((sample) => sample.metric.job === job));
      };
      await waitFor(
        () => upJobs(["flight-consumer", "bag-consumer", "bridge", "tail", "archiver", "board", "redis"]),
        60_000,
        diagnostics,
      );

      // Flights arriving from a minute from now over the next hour, their bags, and one invalid message per topic.
      if (producerExists) {
        start("producer", {
          LOG_LEVEL: "info",
          PRODUCER_PACE: "max",
          PRODUCER_HOURS: "1",
          PRODUCER_FLIGHTS_PER_HOUR: "40",
          PRODUCER_BAGS_PER_HOUR: "400",
          PRODUCER_START_OFFSET_SECONDS: "60",
          PRODUCER_SEED: "7",
        });
        await waitFor(() => workers.producer!.output().includes("producer finished"), 60_000, diagnostics);
      } else {
        console.warn(
          "tools/producer/main.ts does not exist: producing flights and bags directly; producer panels get no data",
        );
        await produce(kafka, config.topics.flights, testFlights());
        await produce(kafka, config.topics.bags, [{ id: "BAG_1", flights: ["FL_1"] }]);
      }
      await produce(kafka, config.topics.flights, ["not json"]);
      await produce(kafka, config.topics.bags, [{ id: 42 }]);
      await admin.connect();
      const consumedAll = async (topic: string) => {
        const produced = (await admin.fetchTopicOffsets(topic)).reduce((sum, { high }) => sum + Number(high), 0);
        return await appliedMessages(redis, topic) === produced;
      };
      await waitFor(
        async () => await consumedAll(config.topics.flights) && await consumedAll(config.topics.bags),
        60_000,
        diagnostics,
      );

      // The scanner scans once at start: the flights arriving in the next 10 minutes get work, mirrored by the bridge.
      start("arrival-scanner");
      await waitFor(async () => (await redis.xlen(config.stream.key)) > 0, 60_000, diagnostics);
      // A due flight delayed by a minute: the scanner's change follower publishes its next revision. Only once
      // Prometheus has the scanner's histogram empty: a series first seen at 1 shows no increase to rate().
      await waitFor(
        async () => hasData(await instantQuery(BASE_URL, "work_change_to_publish_seconds_count")),
        60_000,
        diagnostics,
      );
      const now = Date.now() / 1000;
      const [due] = await redis.zrangebyscore("flight:arrival_times", now, now + 600, "LIMIT", 0, 1);
      const stored = await redis.hgetall(`flight:id:${due}`);
      await produce(kafka, config.topics.flights, [{
        id: due,
        departure_time: Number(stored.departure_time),
        arrival_time: Number(stored.arrival_time) + 60,
        bags: JSON.parse(stored.bags ?? "[]"),
      }]);
      // Its revision 2 reaches the stream before Redis "loses" anything below (the follower then waits for a sweep).
      await waitFor(
        async () =>
          (await redis.xrange(config.stream.key, "-", "+")).some(([, fields]) =>
            fields.join(" ").includes(`flight_id ${due}`) && fields.join(" ").includes("revision 2")
          ),
        30_000,
        diagnostics,
      );
      // Redis "loses" the bags' state: the bag consumer notices and replays the topic (redis_state_resyncs_total).
      await redis.del(appliedOffsetsKey(config.topics.bags));
      await waitFor(
        async () => hasData(await instantQuery(BASE_URL, "redis_state_resyncs_total")),
        60_000,
        diagnostics,
      );

      await t.step("every panel query returns data", async () => {
        const failing = new Map<string, string>();
        const queries = dashboardQueries().filter(({ expr }) =>
          producerExists || !/produced_test_|produced_messages_|producer_send_/.test(expr)
        );
        // Scan histograms fill at the next minute's scan; everything else within seconds.
        await waitFor(
          async () => {
            failing.clear();
            for (const { panel, expr } of queries) {
              const samples = await instantQuery(BASE_URL, expr);
              if (!hasData(samples)) failing.set(panel, `${expr} -> ${JSON.stringify(samples)}`);
            }
            return failing.size === 0;
          },
          150_000,
          () =>
            `panels without data:\n${
              [...failing].map(([panel, why]) => `${panel}: ${why}`).join("\n")
            }\n${diagnostics()}`,
          2_000,
        );
      });

      await t.step("every metric the dashboard and the alerts use exists", async () => {
        const stored = await storedMetricNames(BASE_URL);
        const rules = await parseYaml(await Deno.readTextFile(ALERT_RULES_FILE)) as {
          groups: { rules: { expr: string }[] }[];
        };
        const alertExprs = rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
        const used = new Set([...dashboardQueries().map(({ expr }) => expr), ...alertExprs].flatMap(metricNames));
        const absent = [...used].filter((name) =>
          !stored.has(name) && (producerExists || !name.startsWith("produced_test"))
        );
        assert.deepEqual(absent, [], `metrics used but never scraped: ${absent.join(", ")}`);
      });

      await t.step("promtool check metrics accepts each process' /metrics", async () => {
        const problems: string[] = [];
        for (const [service, port] of Object.entries(PORTS)) {
          if (!workers[service as ServiceName]) continue;
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          const result = await run("promtool", ["check", "metrics"], text);
          if (result.code !== 0) problems.push(`${service}:\n${result.stdout}${result.stderr}`);
        }
        assert.deepEqual(problems, [], problems.join("\n"));
      });

      await t.step("the dead-letter and resync alerts fire on the run's real data, TargetDown does not", async () => {
        let last = "";
        await waitFor(
          async () => {
            const alerts = await instantQuery(BASE_URL, `ALERTS{alertstate="firing"}`);
            const firing = new Set(alerts.map((alert) => alert.metric.alertname));
            last = [...firing].join(", ");
            return firing.has("DeadLetterMessages") && firing.has("RedisStateResynced") && !firing.has("TargetDown");
          },
          30_000,
          () => `firing: ${last}`,
        );
      });
    } finally {
      const exits = await Promise.all(Object.values(workers).map((worker) => worker.kill("SIGTERM")));
      for (const child of children) await child.stop();
      await admin.disconnect();
      await redis.quit();
      await schema.drop();
      await Deno.remove(dir, { recursive: true });
      assert.ok(exits.every((code) => code === 0), `every process stops cleanly on SIGTERM: ${exits}`);
    }
  },
});

/** Ten flights arriving over the next 10 minutes (only when the test producer is not there). */
function testFlights() {
  const now = Date.now() / 1000;
  return Array.from({ length: 10 }, (_, i) => ({
    id: `FL_${crypto.randomUUID()}`,
    departure_time: now - 3600,
    arrival_time: now + 60 + i * 50,
    bags: [],
  }));
}
