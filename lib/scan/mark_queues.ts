/**
 * Where the scanner's change follower takes the upserts' marks (change_follower.ts): one sorted set per node, popped
 * with a blocking read on a connection of its own. On one Redis node that is `work:marks`; on a Redis Cluster, each
 * master's `work:marks:{<tag of its lowest slot>}`, which the upsert scripts running there write (lua/upsert_flights.lua,
 * lua/mark_due_flights.lua). A blocking pop cannot span slots, so the marks are queued per node rather than per slot;
 * they are hints the sweep backs up (SCAN_SCHEDULE), so a mark need not move with its flight.
 *
 * A resharding that moves a master's lowest slot moves its queue away with the slot, and a failover replaces a master:
 * `refresh()` then reads the new queues and takes what the old ones still hold, through the cluster's routing.
 */
import { Cluster, type Redis } from "ioredis";
import { isRedirection, refreshSlotMap, splitByNode } from "../infra/cluster_calls.ts";
import { WORK_MARKS, workMarksKey } from "../infra/keys.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { delay } from "../infra/poll.ts";
import type { RedisClient } from "../infra/redis.ts";
import { backoffMs } from "../infra/retry.ts";

/** One node's queue of marks. */
export interface MarkQueue {
  readonly node: Redis;
  readonly key: string;
}

/** The longest one blocking read waits, so that a reader notices a close. */
const READ_WAIT_SECONDS = 1;
/** Marks taken per read after the first. */
const MARKS_PER_READ = 499;

/** The queues of the topology as the client knows it now. */
export function markQueues(redis: RedisClient): MarkQueue[] {
  if (!(redis instanceof Cluster)) return [{ node: redis, key: WORK_MARKS }];
  return splitByNode(redis, [], String, true).map((part) => ({
    node: part.node,
    key: workMarksKey(`:{${part.tag}}`),
  }));
}

/** Empties every queue: a scanner that does not follow changes leaves the marks to the sweep. */
export async function deleteMarks(redis: RedisClient): Promise<void> {
  for (const queue of markQueues(redis)) await queue.node.del(queue.key);
}

/** The marks the readers took, flight id -> time (ms) of its first change, until the follower takes them. */
export class MarkInbox {
  private pending = new Map<string, number>();
  private readers = new Map<string, QueueReader>();
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly redis: RedisClient, private readonly logger: Logger) {}

  /** How many marks wait to be taken. */
  get size(): number {
    return this.pending.size;
  }

  /** Reads the queues the topology has now; a queue no longer among them is closed, and what it holds taken. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    const queues = new Map(markQueues(this.redis).map((queue) => [queue.key, queue]));
    for (const [key, reader] of this.readers) {
      if (queues.get(key)?.node === reader.node) continue;
      this.readers.delete(key);
      await reader.close();
      // Its slot moved on or its master was replaced: the key, wherever it is now, may still hold marks.
      this.add(await this.redis.zpopmin(key, 10_000).catch(() => []));
    }
    // A close while the old readers were closing: start none that nothing would close.
    if (this.closed) return;
    for (const [key, queue] of queues) {
      if (!this.readers.has(key)) this.readers.set(key, new QueueReader(queue, this.redis, this.logger, this.add));
    }
  }

  /** Resolves once marks wait to be taken, or after `seconds`. */
  async waitForMarks(seconds: number): Promise<void> {
    if (this.pending.size > 0) return;
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([woken, delay(seconds * 1000)]);
    this.wake = undefined;
  }

  /** Takes up to `most` of the waiting marks, the earliest first. */
  take(most: number): Map<string, number> {
    const byTime = [...this.pending].sort(([, a], [, b]) => a - b);
    const taken = new Map(byTime.slice(0, most));
    for (const id of taken.keys()) this.pending.delete(id);
    return taken;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.readers.values()].map((reader) => reader.close()));
    this.readers.clear();
    this.wake?.();
  }

  /** Adds `pairs` (id, score, id, score, … as ZPOPMIN answers), keeping a flight's earliest change. */
  private add = (pairs: readonly string[]): void => {
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const at = Number(pairs[i + 1]);
      const known = this.pending.get(pairs[i]!);
      if (known === undefined || at < known) this.pending.set(pairs[i]!, at);
    }
    if (this.pending.size > 0) this.wake?.();
  };
}

/** Pops one queue on a connection of its own (a blocking read holds its connection until it returns). */
class QueueReader {
  readonly node: Redis;
  private readonly connection: Redis;
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly queue: MarkQueue,
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    private readonly onMarks: (pairs: readonly string[]) => void,
  ) {
    this.node = queue.node;
    this.connection = queue.node.duplicate();
    this.done = this.run();
  }

  async close(): Promise<void> {
    this.running = false;
    this.connection.disconnect();
    await this.done;
  }

  private async run(): Promise<void> {
    const { key } = this.queue;
    for (let failures = 0; this.running;) {
      try {
        const first = await this.connection.bzpopmin(key, READ_WAIT_SECONDS);
        if (first) {
          this.onMarks([first[1], first[2]]);
          this.onMarks(await this.connection.zpopmin(key, MARKS_PER_READ));
        }
        failures = 0;
      } catch (error) {
        if (!this.running) return;
        failures += 1;
        // MOVED: the queue's slot went to another master; the follower's next refresh reads the new queues.
        if (this.redis instanceof Cluster && isRedirection(error)) await refreshSlotMap(this.redis).catch(() => {});
        this.logger.warn({ err: errorMessage(error), queue: key, attempt: failures }, "reading change marks failed");
        await delay(backoffMs(failures));
      }
    }
  }
}
