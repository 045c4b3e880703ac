/** Entrypoint: prints the work stream's entries (TAIL_FLIGHT / TAIL_BAG to follow one flight or bag). */
import { runService } from "../lib/service.ts";
import { startTail } from "../lib/tail.ts";

await runService("tail", startTail);
