/** Entrypoint: consumes `bags` into Redis. */
import { startBagConsumer } from "../lib/ingest/bag_consumer.ts";
import { runService } from "../lib/infra/service.ts";

await runService("bag-consumer", startBagConsumer);
