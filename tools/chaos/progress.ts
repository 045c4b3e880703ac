/**
 * The pipeline's progress as Redis and the archive show it, sampled a few times a second: per partition,
 * the last offset each consumer applied, the bridge mirrored and the archiver archived (of the bags topic),
 * and how many flights have confirmed work with the expected digest. Faults measure their time to recover against it.
 */
import type { Redis } from "ioredis";
import { appliedOffsetsKey, bridgeOffsetsKey, workStateKey } from "../../lib/infra/keys.ts";
import { delay } from "../../lib/infra/poll.ts";

/** A part of the pipeline whose progress is measured. */
export type Component = "flights" | "bags" | "bridge" | "scanner" | "archive";
export type TopicComponent = Exclude<Component, "scanner">;

export interface Progress {
  /** When the sample was taken (ms since the epoch). */
  readonly at: number;
  /** Partition -> last applied (mirrored, archived) offset, per topic component; the archive's of the bags topic. */
  readonly offsets: Readonly<Record<TopicComponent, ReadonlyMap<number, number>>>;
  /** The phase whose digests `scanner` was counted against. */
  readonly phase: number;
  /** Flights whose confirmed work has the digest a complete scan of the phase gives. */
  readonly scanner: number;
  /** Flights claimed by a scan and not confirmed yet, and when the latest claim expires (Unix seconds). */
  readonly pendingClaims: number;
  readonly latestClaimExpiry: number;
}

/** Messages applied: the sum over partitions of last offset + 1. */
export const applied = (offsets: ReadonlyMap<number, number>) =>
  [...offsets.values()].reduce((sum, offset) => sum + offset + 1, 0);

const EMPTY: Progress = {
  at: 0,
  offsets: { flights: new Map(), bags: new Map(), bridge: new Map(), archive: new Map() },
  phase: 0,
  scanner: 0,
  pendingClaims: 0,
  latestClaimExpiry: 0,
};

export class ProgressMonitor {
  latest: Progress = EMPTY;
  /** Each flight's work digest once the current phase is scanned. */
  expected: ReadonlyMap<string, string> = new Map();
  private phase = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly names: { flights: string; bags: string; stream: string },
    private readonly onSample: () => void,
    /** The archive's offsets of the bags topic; while PostgreSQL does not answer, the last ones read stand. */
    private readonly archiveOffsets: () => Promise<ReadonlyMap<number, number>> = async () => new Map(),
  ) {}

  /** From now on, counts confirmed work against `digests`, those of phase `phase`. */
  setPhase(phase: number, digests: ReadonlyMap<string, string>): void {
    this.phase = phase;
    this.expected = digests;
  }

  /** Samples every 250 ms until stop(). */
  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          this.latest = await this.sample();
        } catch {
          // Redis is restarting or paused: the next sample tells.
        }
        this.onSample();
        await delay(250);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Reads the progress now (one pipelined round trip to Redis, one query to PostgreSQL). */
  async sample(): Promise<Progress> {
    let archive = this.latest.offsets.archive;
    try {
      archive = await this.archiveOffsets();
    } catch {
      // PostgreSQL is away (scenario 9): the archive's progress stands where it was.
    }
    const pipeline = this.redis.pipeline();
    pipeline.hgetall(appliedOffsetsKey(this.names.flights));
    pipeline.hgetall(appliedOffsetsKey(this.names.bags));
    pipeline.hgetall(bridgeOffsetsKey(this.names.stream));
    const { phase, expected } = this;
    const ids = [...expected.keys()];
    for (const id of ids) pipeline.hmget(workStateKey(id), "digest", "pending_revision", "pending_until");
    const replies = (await pipeline.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    const hash = (index: number) => {
      const fields = replies[index]![1] as Record<string, string>;
      // Bridge fields are "<topic>:<partition>"; consumer fields are "<partition>".
      return new Map(
        Object.entries(fields).map(([field, offset]) => [Number(field.split(":").at(-1)), Number(offset)]),
      );
    };
    let scanner = 0;
    let pendingClaims = 0;
    let latestClaimExpiry = 0;
    ids.forEach((id, index) => {
      const [digest, pending, until] = replies[3 + index]![1] as (string | null)[];
      if (pending !== null) {
        pendingClaims += 1;
        latestClaimExpiry = Math.max(latestClaimExpiry, Number(until));
      } else if (digest === expected.get(id)) {
        scanner += 1;
      }
    });
    return {
      at: Date.now(),
      offsets: { flights: hash(0), bags: hash(1), bridge: hash(2), archive },
      phase,
      scanner,
      pendingClaims,
      latestClaimExpiry,
    };
  }
}

/** A progress sample in a few numbers, for messages. */
export function summary(progress: Progress) {
  return {
    flights: applied(progress.offsets.flights),
    bags: applied(progress.offsets.bags),
    mirrored: applied(progress.offsets.bridge),
    archived: applied(progress.offsets.archive),
    confirmed: progress.scanner,
    pending: progress.pendingClaims,
  };
}
