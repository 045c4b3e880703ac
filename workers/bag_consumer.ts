/** Entrypoint: consumes `bags` into Redis. */
import { startBagConsumer } from "../lib/bag_consumer.ts";
import { runService } from "../lib/service.ts";

await runService("bag-consumer", startBagConsumer);
