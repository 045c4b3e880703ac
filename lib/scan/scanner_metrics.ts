/** Metrics of the arrival scanner (the original system's names kept where they existed). */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type ScannerMetrics = ReturnType<typeof createScannerMetrics>;

/** Registers the scanner metrics on `registry`. */
export function createScannerMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    workMessages: new Counter({
      name: "produced_arriving_flight_work_total",
      help: "Work messages (one per arriving flight and revision) published to arriving_flight_work",
      registers,
    }),
    deadLettered: new Counter({
      name: "work_dead_lettered_total",
      help: "Work messages sent to the work dead-letter topic instead, by reason (too_large, unreadable, rejected)",
      labelNames: ["reason"],
      registers,
    }),
    bagWorkItems: new Counter({
      name: "bag_work_items_total",
      help: "Bag work items published, by outcome (departure or the code's name)",
      labelNames: ["outcome"],
      registers,
    }),
    corrections: new Counter({
      name: "work_corrections_total",
      help: "Work messages that correct an earlier revision (revision > 1)",
      registers,
    }),
    flightsScanned: new Counter({
      name: "flights_scanned_total",
      help: "Flights examined by scans (in the window, or landed within the grace period)",
      registers,
    }),
    skippedTooOld: new Counter({
      name: "flights_skipped_too_old_total",
      help:
        "Flights that landed longer than SCAN_GRACE_SECONDS ago without ever being published (looking back a day at start-up)",
      registers,
    }),
    claimConflicts: new Counter({
      name: "scan_claim_conflicts_total",
      help: "Flights skipped because another scanner replica was publishing them",
      registers,
    }),
    expiredFlights: new Counter({
      name: "redis_expired_flights_total",
      help: "Flights deleted from Redis after DATA_RETENTION_SECONDS",
      registers,
    }),
    expiredBags: new Counter({
      name: "redis_expired_bags_total",
      help: "Bags deleted from Redis with the last flight of their itinerary",
      registers,
    }),
    catchUpSeconds: new Histogram({
      name: "scan_catch_up_wait_seconds",
      help: "Time a scan waited for Redis to hold every flight and bag message Kafka held when the scan began",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    catchUpTimeouts: new Counter({
      name: "scan_catch_up_timeouts_total",
      help: "Scans that went ahead after SCAN_CATCH_UP_SECONDS with consumers still behind Kafka",
      registers,
    }),
    sweptBags: new Counter({
      name: "redis_swept_bags_total",
      help: "Bags deleted by the sweep: none of their flights stored any more, at least one expired",
      registers,
    }),
    scanSeconds: new Histogram({
      name: "arriving_flight_work_processing_seconds",
      help: "Duration of one whole arrival scan",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 45, 60, 120],
      registers,
    }),
    changeToPublishSeconds: new Histogram({
      name: "work_change_to_publish_seconds",
      help: "From the upsert that changed a due flight's work (its mark) to the publication of the new revision",
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60, 120],
      registers,
    }),
    publishLeadSeconds: new Histogram({
      name: "work_publish_lead_seconds",
      help: "Arrival time minus publication time of each flight's first revision",
      buckets: [0, 60, 120, 240, 300, 420, 540, 570, 585, 590, 595, 598, 600, 900],
      registers,
    }),
    latestArrival: new Gauge({
      name: "latest_work_arrival_timestamp",
      help: "Arrival time (Unix seconds) of the flight in the latest work message",
      registers,
    }),
    storedFlights: new Gauge({
      name: "redis_stored_flights",
      help: "Distinct flights stored in Redis (flight:count); was redis_stored_flights_total",
      registers,
    }),
    connectionRisk: new Gauge({
      name: "connection_risk_bags",
      help:
        "Transfer bags of the flights in the window (and the grace period) by connection risk, as of the last whole scan",
      labelNames: ["grade"],
      registers,
    }),
    storedBags: new Gauge({
      name: "redis_stored_bags",
      help: "Distinct bags stored in Redis (bag:count); was redis_stored_bags_total",
      registers,
    }),
  };
  // Start at 0, so that the first dead letter is an increase Prometheus can alert on.
  for (const reason of ["too_large", "unreadable", "rejected"]) metrics.deadLettered.inc({ reason }, 0);
  return metrics;
}
