/** The flight consumer: `flights` topic -> Redis flight hashes and the arrival index. */
import { Gauge } from "prom-client";
import { FLIGHT_CONSUMER_METRICS } from "../consume/consumer_metrics.ts";
import { type FlightMessage, parseFlight } from "../domain/flight.ts";
import type { RedisClient } from "../infra/redis.ts";
import type { ServiceContext } from "../infra/service.ts";
import { createFlightStore } from "./flight_store.ts";
import { startInputConsumer } from "./input_consumer.ts";
import { markWindowOf } from "./mark_window.ts";

/** Builds and starts the flight consumer; `context.clock` decides how far ahead a flight may be. */
export async function startFlightConsumer(context: ServiceContext<"kafka" | "redis", RedisClient>) {
  const { config, registry, redis, clock } = context;
  const latestArrival = new Gauge({
    name: "latest_consumed_flight_arrival_timestamp",
    help: "Arrival time (Unix seconds) of the latest flight stored",
    registers: [registry],
  });
  return await startInputConsumer<FlightMessage>(context, {
    topic: config.topics.flights,
    metricNames: FLIGHT_CONSUMER_METRICS,
    // A bag listed twice is dropped (counted and logged once per message); the rest of the flight is applied.
    parse: (message, reportDropped) => parseFlight(message.value, config.limits, clock(), reportDropped),
    store: await createFlightStore(redis, config.topics.flights, markWindowOf(config, clock)),
    onStored: (records) => {
      const last = records[records.length - 1];
      if (last) latestArrival.set(last.record.arrival_time);
    },
  });
}
