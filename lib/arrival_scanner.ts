/** The arrival scanner process: runs ArrivalScan once at start, then on the SCAN_SCHEDULE cron. */
import { errorMessage } from "./log.ts";
import { ArrivalScan } from "./arrival_scan.ts";
import { createProducer, ensureWorkTopics } from "./kafka.ts";
import { scheduleCron } from "./runtime.ts";
import { createScannerMetrics } from "./scanner_metrics.ts";
import { loadScript } from "./scripts.ts";
import type { Closable, ServiceContext } from "./service.ts";
import { restoreWorkStateIfLost } from "./work_state_restore.ts";

/** Builds the scanner, scans once, and schedules the next scans. */
export async function startArrivalScanner(
  { config, logger, registry, kafka, redis }: ServiceContext,
): Promise<Closable> {
  await ensureWorkTopics(kafka, config);
  const producer = createProducer(kafka);
  await producer.connect();
  const scan = new ArrivalScan({
    redis,
    producer,
    claimScript: await loadScript(redis, "claim_flight_work"),
    confirmScript: await loadScript(redis, "confirm_flight_work"),
    failScript: await loadScript(redis, "fail_flight_work"),
    expireScript: await loadScript(redis, "expire_flights"),
    metrics: createScannerMetrics(registry),
    config,
    logger,
  });

  let running: Promise<void> = Promise.resolve();
  const runScan = () => {
    running = (async () => {
      try {
        const now = Date.now() / 1000;
        // Never scan with lost publication state: revisions would start again at 1 (see work_state_restore.ts).
        await restoreWorkStateIfLost({ redis, kafka, config, logger }, now);
        const report = await scan.scan(now);
        logger.info({ ...report }, "scan finished");
      } catch (error) {
        logger.error(
          { err: errorMessage(error) },
          "scan failed; the next scan retries",
        );
      }
    })();
    return running;
  };

  const stop = new AbortController();
  await runScan();
  scheduleCron("arrival-scan", config.scan.schedule, runScan, stop.signal);

  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= (async () => {
        stop.abort();
        await running;
        await producer.disconnect();
      })();
      return closing;
    },
  };
}
