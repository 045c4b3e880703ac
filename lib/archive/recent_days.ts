/**
 * The archive_days pairs (kind, id, day) this process has committed lately, so that the rows of later chunks
 * (a bag's next work revision, its itinerary's correction) do not write them again.
 *
 * Only committed pairs are remembered. A pair forgotten, or written by another replica, is written twice, which
 * the history reads as one (first and last day). A pair remembered but lost matters: PostgreSQL commits without
 * waiting for the disk, so a crash can lose the last commits, whose messages are then archived again; the pairs
 * must be written again with them. Hence everything is forgotten when the server is another incarnation (its
 * start time changed: a restart, a failover) and when a consumer finds the archive behind Kafka.
 */

/** Pairs remembered at most (about 100 bytes each). */
export const RECENT_DAYS_CAPACITY = 1_000_000;

export class RecentArchiveDays {
  private readonly pairs = new Set<string>();
  private incarnation: string | undefined;

  constructor(private readonly capacity = RECENT_DAYS_CAPACITY) {}

  static key(kind: string, id: string, day: number): string {
    return `${kind} ${day} ${id}`;
  }

  has(key: string): boolean {
    return this.pairs.has(key);
  }

  /**
   * Remembers the pairs of a transaction committed on `incarnation`, unless the server has changed since;
   * forgets the oldest beyond the capacity.
   */
  remember(keys: readonly string[], incarnation: string): void {
    if (incarnation !== this.incarnation) return;
    for (const key of keys) {
      this.pairs.delete(key);
      this.pairs.add(key);
    }
    let excess = this.pairs.size - this.capacity;
    if (excess <= 0) return;
    for (const key of this.pairs) {
      if (excess-- <= 0) break;
      this.pairs.delete(key);
    }
  }

  /** Forgets everything when `incarnation` (the server's start time) is not the one the pairs were written to. */
  checkIncarnation(incarnation: string): void {
    if (incarnation === this.incarnation) return;
    this.pairs.clear();
    this.incarnation = incarnation;
  }

  forget(): void {
    this.pairs.clear();
  }

  get size(): number {
    return this.pairs.size;
  }
}
