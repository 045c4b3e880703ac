/** Entrypoint: publishes generated test flights and bags (see lib/producer/config.ts for its settings). */
import { startTestProducer } from "../lib/producer/test_producer.ts";
import { runService } from "../lib/service.ts";

await runService("producer", startTestProducer);
