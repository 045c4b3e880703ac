/**
 * The arrival scanner process: runs ArrivalScan once at start, then on the SCAN_SCHEDULE cron (the sweep), and
 * between sweeps follows the changes and the window's edge (change_follower.ts) unless SCAN_FOLLOW_CHANGES is off.
 */
import { bagCountKey, flightCountKey } from "../infra/keys.ts";
import { errorMessage } from "../infra/log.ts";
import type { RedisClient } from "../infra/redis.ts";
import { canRetry, crash } from "../infra/retry.ts";
import { ArrivalScan } from "./arrival_scan.ts";
import { createProducer, ensureWorkTopics } from "../infra/kafka.ts";
import { scheduleCron } from "../infra/runtime.ts";
import { createScannerMetrics } from "./scanner_metrics.ts";
import { waitForInputCaughtUp } from "./input_catch_up.ts";
import type { Closable, ServiceContext } from "../infra/service.ts";
import { restoreWorkStateIfLost } from "./work_state_restore.ts";
import { ChangeFollower } from "./change_follower.ts";
import { deleteMarks } from "./mark_queues.ts";

/** Builds the scanner, scans once, and schedules the next scans; `clock` is the time each scan runs at. */
export async function startArrivalScanner(
  { config, logger, registry, kafka, redis, clock }: ServiceContext<"kafka" | "redis", RedisClient>,
): Promise<Closable> {
  await ensureWorkTopics(kafka, config);
  const producer = createProducer(kafka);
  await producer.connect();
  const metrics = createScannerMetrics(registry);
  const scan = new ArrivalScan({
    redis,
    producer,
    metrics,
    config,
    logger,
  });

  const inputs = [
    { topic: config.topics.flights, dataPattern: flightCountKey(":{*}") },
    { topic: config.topics.bags, dataPattern: bagCountKey(":{*}") },
  ];
  let running: Promise<void> = Promise.resolve();
  const runScan = () => {
    running = (async () => {
      try {
        const stopWait = metrics.catchUpSeconds.startTimer();
        const catchUp = await waitForInputCaughtUp(
          kafka,
          redis,
          inputs,
          config.scan.catchUpSeconds * 1000,
          stop.signal,
        );
        stopWait();
        if (stop.signal.aborted) return;
        if (catchUp === "timed-out") {
          metrics.catchUpTimeouts.inc();
          logger.warn(
            { wait_seconds: config.scan.catchUpSeconds },
            "consumers are still behind Kafka; scanning what Redis holds",
          );
        }
        // Not following, nobody takes the upserts' marks: the sweep covers what they name.
        if (!config.scan.followChanges) await deleteMarks(redis);
        const now = clock();
        // Never scan with lost publication state: revisions would start again at 1 (see work_state_restore.ts).
        await restoreWorkStateIfLost({ redis, kafka, config, logger }, now);
        const report = await scan.scan(now);
        logger.info({ ...report }, "scan finished");
      } catch (error) {
        if (!canRetry(error)) crash(logger, "scan failed", error);
        logger.error(
          { err: errorMessage(error) },
          "scan failed; the next scan retries",
        );
      }
      if (stop.signal.aborted) return;
      await scan.sweep(clock()).catch((error) => logger.warn({ err: errorMessage(error) }, "bag sweep failed"));
    })();
    return running;
  };

  const stop = new AbortController();
  const startupScanAt = clock();
  await runScan();
  scheduleCron("arrival-scan", config.scan.schedule, runScan, stop.signal);
  const follower = config.scan.followChanges
    ? new ChangeFollower({ redis, scan, config, metrics, logger, clock })
    : undefined;
  follower?.start(startupScanAt);

  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= (async () => {
        stop.abort();
        await follower?.close();
        await running;
        await producer.disconnect();
      })();
      return closing;
    },
  };
}
