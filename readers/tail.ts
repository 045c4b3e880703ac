/** Entrypoint: prints the work stream's entries (TAIL_FLIGHT / TAIL_BAG to follow one flight or bag). */
import { runService } from "../lib/infra/service.ts";
import { startTail } from "../lib/stream/tail.ts";

await runService("tail", startTail);
