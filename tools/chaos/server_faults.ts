/** The faults of a server: an outage, and Redis emptied, rolled back to its snapshot, crashed or slowed. */
import { delay } from "../../lib/infra/poll.ts";
import { connectRedis } from "../../lib/infra/redis.ts";
import { sampledFault } from "./faults.ts";
import type { PipelineRun } from "./pipeline.ts";

/** Stops a server, waits `ms` and starts it again. */
export const outage = (run: PipelineRun, stop: () => Promise<unknown>, ms: number, start: () => Promise<void>) =>
  sampledFault(run, async () => {
    await stop();
    await delay(ms);
    await start();
  });

/** Stops Redis, removes its files and starts it empty: every key is lost. */
export const loseRedis = (run: PipelineRun) => sampledFault(run, () => run.stack.redis.restart("empty"));

/** Restarts Redis without saving, so that it comes back from the snapshot taken earlier with SAVE. */
export const rollBackRedis = (run: PipelineRun) => sampledFault(run, () => run.stack.redis.restart("stop"));

/** SIGKILLs Redis and starts it again from what it had written to disk. */
export const crashRedis = (run: PipelineRun) => sampledFault(run, () => run.stack.redis.restart("crash"));

/** A script that keeps Redis busy for ARGV[1] seconds: past busy-reply-threshold (5 s) other clients get BUSY. */
const BUSY_SCRIPT = `local stop = tonumber(redis.call('TIME')[1]) + tonumber(ARGV[1])
while tonumber(redis.call('TIME')[1]) < stop do end
return 1`;

/** Slows Redis for `ms` in cycles: three CLIENT PAUSEs of 2 s, then a script busy 7 s; counts each kind. */
export async function slowRedis(run: PipelineRun, ms: number) {
  const counts = { pauses: 0, busy: 0 };
  const fault = await sampledFault(run, async () => {
    const redis = await connectRedis(run.stack.redisUrl, "chaos-slow");
    const end = Date.now() + ms;
    try {
      for (let cycle = 1; Date.now() < end; cycle++) {
        if (cycle % 4 === 0) {
          await redis.eval(BUSY_SCRIPT, 0, 7);
          counts.busy += 1;
        } else {
          await redis.call("CLIENT", "PAUSE", "2000", "ALL");
          counts.pauses += 1;
          await delay(2500);
        }
      }
    } finally {
      redis.disconnect();
    }
  });
  return { ...fault, ...counts };
}
