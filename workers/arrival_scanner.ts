/** Entrypoint: publishes the work of flights arriving soon, on the SCAN_SCHEDULE cron. */
import { startArrivalScanner } from "../lib/scan/arrival_scanner.ts";
import { runService } from "../lib/infra/service.ts";

await runService("arrival-scanner", startArrivalScanner);
