/** Entrypoint: mirrors arriving_flight_work into the Redis Stream WORK_STREAM. */
import { runService } from "../lib/infra/service.ts";
import { startBridge } from "../lib/stream/work_bridge.ts";

await runService("bridge", startBridge);
