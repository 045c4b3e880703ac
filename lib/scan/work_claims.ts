/**
 * The claim step of a scan: computes the work of a batch of flights and claims, through
 * lua/claim_flight_work.lua, the revisions this scan publishes (or dead-letters, when the stored data is
 * unreadable), with the bags each flight no longer has since its last published revision.
 */
import type { RedisClient } from "../infra/redis.ts";
import { readPerNode } from "../infra/node_calls.ts";
import { countGrades, type RiskGrade } from "../domain/connection_risk.ts";
import type { FlightWork, WorkContent } from "../domain/work.ts";
import { workDigest } from "../domain/work.ts";
import type { Config } from "../infra/config.ts";
import { UnexpectedScriptReply } from "../infra/errors.ts";
import { flightKey, workStateKey } from "../infra/keys.ts";
import type { Logger } from "../infra/log.ts";
import { SCRIPT_CODES, scriptsOf } from "../infra/scripts.ts";
import type { ScannerMetrics } from "./scanner_metrics.ts";
import type { DeadWork } from "./work_dead_letters.ts";
import { type FlightWorkContent, isUnreadable, readFlightWork } from "./work_reader.ts";

/** What claiming reads and counts. */
export interface ClaimDeps {
  readonly redis: RedisClient;
  readonly config: Config;
  readonly metrics: ScannerMetrics;
  readonly logger?: Logger;
}

/** Computes the work of `flightIds` and claims the revisions to publish (or to dead-letter, when unreadable). */
export async function claimWork(deps: ClaimDeps, flightIds: string[], now: number, token: string) {
  const { config, metrics, redis } = deps;
  // Following changes, the reads record what each flight's work depends on, for the upserts to mark it.
  const record = config.scan.followChanges ? { graceSeconds: config.scan.graceSeconds } : undefined;
  const contents = await readFlightWork(redis, flightIds, record);
  const present = contents.flatMap((content) => (content ? [content] : []));
  const risk = gradesOf(present, config);
  // On a cluster, each master claims the flights whose keys it serves, their states beside them.
  const claims = await readPerNode(redis, present, (content) => flightKey(content.id), async (share) => {
    const args: (string | number)[] = [token, config.scan.claimSeconds, config.scan.stateRetentionSeconds];
    share.items.forEach((content, index) => {
      const digest = isUnreadable(content) ? `unreadable:${content.digest}` : workDigest(content);
      args.push(workStateKey(content.id, share.scopes[index]), digest);
    });
    return await scriptsOf(share.node).claim_flight_work.run([], args) as number[];
  });

  // Only a flight published before (a claim above revision 1) can have removed bags: the others cost no read.
  const previousBags = await publishedBags(
    deps,
    present.flatMap((content, index) => claims[index]! > 1 && !isUnreadable(content) ? [content.id] : []),
  );
  const messages: FlightWork[] = [];
  const dead: DeadWork[] = [];
  const report = { unchanged: 0, claimedElsewhere: 0 };
  const elsewhere: string[] = [];
  present.forEach((content, index) => {
    const claim = claims[index]!;
    if (claim > 0 && isUnreadable(content)) {
      dead.push({ id: content.id, revision: claim, reason: "unreadable", detail: content.unreadable });
    } else if (claim > 0) {
      const work = content as WorkContent;
      const removed = (previousBags.get(work.id) ?? []).filter((bag) => !Object.hasOwn(work.bags, bag));
      messages.push({ ...work, revision: claim, scanned_at: now, removed_bags: removed });
    } else if (claim === SCRIPT_CODES.UNCHANGED) report.unchanged += 1;
    else if (claim === SCRIPT_CODES.CLAIMED_ELSEWHERE) {
      report.claimedElsewhere += 1;
      elsewhere.push(content.id);
    } else throw new UnexpectedScriptReply("claim_flight_work", claim);
  });
  metrics.claimConflicts.inc(report.claimedElsewhere);
  return { messages, dead, report, elsewhere, risk };
}

/** Bags by connection risk of every readable flight read, whoever publishes it (so each replica counts them all). */
function gradesOf(contents: readonly FlightWorkContent[], config: Config) {
  const counts: Record<RiskGrade, number> = { critical: 0, hot: 0, warm: 0, ok: 0 };
  for (const content of contents) {
    if (content === null || isUnreadable(content)) continue;
    const grades = countGrades(content.arrival_time, Object.values(content.bags), config.risk);
    for (const grade of Object.keys(counts) as RiskGrade[]) counts[grade] += grades[grade];
  }
  return counts;
}

/**
 * The bags of each flight's last published revision (`bags` of work:flight:<id>, recorded by
 * confirm_flight_work.lua), in one pipelined round trip. A flight without one is left out.
 */
async function publishedBags(deps: ClaimDeps, flightIds: readonly string[]): Promise<Map<string, readonly string[]>> {
  const bags = new Map<string, readonly string[]>();
  if (flightIds.length === 0) return bags;
  const replies = await readPerNode(deps.redis, flightIds, flightKey, async ({ node, items, scopes }) => {
    const pipeline = node.pipeline();
    items.forEach((id, index) => pipeline.hget(workStateKey(id, scopes[index]), "bags"));
    return ((await pipeline.exec()) ?? []).map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
  });
  replies.forEach((reply, index) => {
    if (typeof reply !== "string") return;
    const id = flightIds[index]!;
    const list = parseBagList(reply);
    if (list) bags.set(id, list);
    else deps.logger?.warn({ flight: id }, "published bags unreadable; no removed bags listed for this flight");
  });
  return bags;
}

/** A stored JSON list of bag ids, or undefined when it is not one (not written by our scripts). */
function parseBagList(text: string): readonly string[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  } catch {
    // not JSON: reported by the caller
  }
  return undefined;
}
