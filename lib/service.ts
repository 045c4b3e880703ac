/**
 * The life of a process: configuration, logger, metrics endpoint, clients, the worker itself,
 * and a graceful close on SIGINT/SIGTERM. Entrypoints in workers/ and bridge/ only call runService().
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { type Config, ConfigError, loadConfig, type ServiceName } from "./config.ts";
import { createKafka, type Kafka, kafkaHealth } from "./kafka.ts";
import { createLogger, type Logger } from "./log.ts";
import { startMetricsServer } from "./metrics_server.ts";
import { connectRedis, type Redis, redisHealth } from "./redis.ts";
import { exit, onShutdownSignal } from "./runtime.ts";

/** Everything a worker is built from. */
export interface ServiceContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly kafka: Kafka;
  readonly redis: Redis;
}

/** Something running that can be stopped gracefully. */
export interface Closable {
  close(): Promise<void>;
}

/** Starts `service` with `start` and keeps it running until a shutdown signal. */
export async function runService(service: ServiceName, start: (context: ServiceContext) => Promise<Closable>) {
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
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // prom-client names three gauges *_total, a suffix Prometheus reserves for counters (promtool check metrics).
    for (
      const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]
    ) {
      registry.removeSingleMetric(name);
    }
    const kafka = createKafka(config, logger);
    const redis = await connectRedis(config.redisUrl, service, logger);
    closers.push(() => redis.quit());
    const kafkaCheck = kafkaHealth(kafka);
    closers.push(() => kafkaCheck.close());
    const server = await startMetricsServer(config.metrics.host, config.metrics.port, registry, {
      kafka: kafkaCheck.check,
      redis: redisHealth(redis),
    });
    closers.push(() => server.close());
    const worker = await start({ config, logger, registry, kafka, redis });
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
