/**
 * Run by runtime_test.ts under Deno and under Bun: schedules one run of scheduleCron() at the next UTC minute
 * (as `<minute> <hour> * * *`, so a runtime reading it in local time would not fire), makes that run fail,
 * prints "fired <ISO time>", then "alive" when the process survived the failure, and aborts the schedule,
 * after which the process must end by itself with exit code 0.
 */
import { scheduleCron } from "../../lib/infra/runtime.ts";

// At least two seconds ahead, so the schedule is registered before its minute starts.
const at = new Date(Math.ceil((Date.now() + 2_000) / 60_000) * 60_000);
const stop = new AbortController();
scheduleCron("probe", `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, async () => {
  console.log(`fired ${new Date().toISOString()}`);
  setTimeout(() => {
    console.log("alive");
    stop.abort();
  }, 200);
  throw new Error("a failing run");
}, stop.signal);
console.log(`scheduled ${at.toISOString()}`);
