/** Entrypoint: consumes `flights` into Redis. */
import { startFlightConsumer } from "../lib/flight_consumer.ts";
import { runService } from "../lib/service.ts";

await runService("flight-consumer", startFlightConsumer);
