/** Entrypoint: consumes IATA baggage messages (BAGGAGE_MESSAGES_TOPIC) into Redis. */
import { startBaggageMessageConsumer } from "../lib/ingest/baggage_message_consumer.ts";
import { runService } from "../lib/infra/service.ts";

await runService("baggage-messages", startBaggageMessageConsumer);
