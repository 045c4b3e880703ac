/** Entrypoint: consumes `flights` into Redis. */
import { startFlightConsumer } from "../lib/ingest/flight_consumer.ts";
import { runService } from "../lib/infra/service.ts";

await runService("flight-consumer", startFlightConsumer);
