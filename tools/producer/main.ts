/** Entrypoint: publishes generated test flights and bags (see lib/producer/config.ts for its settings). */
import { startTestProducer } from "./test_producer.ts";
import { runService } from "../../lib/infra/service.ts";

await runService("producer", startTestProducer);
