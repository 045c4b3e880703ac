/**
 * The life of a process: configuration, logger, metrics endpoint, the clients of the servers the
 * registry says it needs (and only those), the worker itself, and a graceful close on SIGINT/SIGTERM.
 * Entrypoints in workers/, bridge/, readers/ and tools/producer/ only call runService().
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { PROCESSES, type Server, type ServiceName } from "../processes.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createKafka, type Kafka, kafkaHealth } from "./kafka.ts";
import { createLogger, type Logger } from "./log.ts";
import { type HealthCheck, startMetricsServer } from "./metrics_server.ts";
import { connectPostgres, postgresHealth, type Sql } from "./postgres.ts";
import { connectRedisClient, type Redis, type RedisClient, redisHealth } from "./redis.ts";
import { exit, onShutdownSignal } from "./runtime.ts";

/** The client of each server; `R`, Redis' client: one primary's, or either for a process that runs on a cluster. */
interface Clients<R extends RedisClient> {
  readonly kafka: Kafka;
  readonly redis: R;
  readonly postgres: Sql;
}

/** Everything a worker is built from: the clients of the servers `S` only. */
export type ServiceContext<S extends Server = "kafka" | "redis", R extends RedisClient = Redis> =
  & {
    readonly config: Config;
    readonly logger: Logger;
    readonly registry: Registry;
    /** The time wherever it decides something (tests inject their own). */
    readonly clock: Clock;
  }
  & Pick<Clients<R>, S>;

/** The servers the registry lists for `N`. */
export type NeedsOf<N extends ServiceName> = (typeof PROCESSES)[N]["needs"][number];
/** Redis' client of `N`: a cluster's too when the registry says it runs on one (config.ts allows no other). */
export type RedisOf<N extends ServiceName> = (typeof PROCESSES)[N]["redisCluster"] extends true ? RedisClient : Redis;

/** Something running that can be stopped gracefully. */
export interface Closable {
  close(): Promise<void>;
}

/** A fresh metrics registry with the process metrics. */
function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges *_total, a suffix Prometheus reserves for counters (promtool check metrics).
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.removeSingleMetric(name);
  }
  return registry;
}

/** Starts `service` with `start` and keeps it running until a shutdown signal. */
export async function runService<N extends ServiceName>(
  service: N,
  start: (context: ServiceContext<NeedsOf<N>, RedisOf<N>>) => Promise<Closable>,
) {
  let config: Config;
  try {
    config = loadConfig(service);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    exit(2);
  }
  const logger = createLogger(service, config.logLevel);
  // Everything started so far, closed in reverse order; a signal during start-up waits for it to finish first.
  const closers: (() => Promise<unknown>)[] = [];
  let startup: Promise<void> = Promise.resolve();
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, `${service} stopping`);
    try {
      await startup.catch(() => {});
      for (const close of closers.reverse()) await close();
      logger.info(`${service} stopped`);
      exit(0);
    } catch (error) {
      logger.error({ err: String(error) }, `${service} did not stop cleanly`);
      exit(1);
    }
  });
  startup = (async () => {
    const registry = processRegistry();
    const needs: readonly Server[] = PROCESSES[service].needs;
    const clients: { kafka?: Kafka; redis?: RedisClient; postgres?: Sql } = {};
    const checks: Record<string, HealthCheck> = {};
    if (needs.includes("kafka")) {
      const kafka = createKafka(config, logger);
      const kafkaCheck = kafkaHealth(kafka);
      closers.push(() => kafkaCheck.close());
      clients.kafka = kafka;
      checks.kafka = kafkaCheck.check;
    }
    if (needs.includes("redis")) {
      const redis = await connectRedisClient(config, service, logger);
      closers.push(() => redis.quit());
      clients.redis = redis;
      checks.redis = redisHealth(redis);
    }
    if (needs.includes("postgres")) {
      // One connection per store in flight: each archived topic stores up to CONSUMER_PARTITIONS_CONCURRENTLY chunks.
      const postgres = connectPostgres(config.archive.postgresUrl, service, logger, 8);
      closers.push(() => postgres.end({ timeout: 5 }));
      clients.postgres = postgres;
      checks.postgres = postgresHealth(postgres);
    }
    const server = await startMetricsServer(config.metrics.host, config.metrics.port, registry, checks);
    closers.push(() => server.close());
    // The registry's `needs` decided which clients exist above; the type says the same from the same table.
    // A cluster client only for a process marked redisCluster: loadConfig refuses REDIS_CLUSTER_NODES for the others.
    const context = { config, logger, registry, clock: systemClock, ...clients } as ServiceContext<
      NeedsOf<N>,
      RedisOf<N>
    >;
    const worker = await start(context);
    closers.push(() => worker.close());
    logger.info({ metrics_port: server.port }, `${service} started`);
  })();
  try {
    await startup;
  } catch (error) {
    logger.fatal({ err: error instanceof Error ? error.stack : String(error) }, `${service} could not start`);
    exit(1);
  }
}
