/** Entrypoint: mirrors arriving_flight_work into the Redis Stream WORK_STREAM. */
import { runService } from "../lib/service.ts";
import { startBridge } from "../lib/work_bridge.ts";

await runService("bridge", startBridge);
