/**
 * The publish step of a scan: sends claimed work to the work topic and confirms it
 * (lua/confirm_flight_work.lua); work too large for the topic, or that the broker rejects, goes to the
 * dead-letter topic and is recorded as such (lua/fail_flight_work.lua).
 */
import type { RedisClient } from "../infra/redis.ts";
import { callPerNode } from "../infra/node_calls.ts";
import type { Producer } from "kafkajs";
import { bagOutcome, type FlightWork, maxWorkMessageBytes } from "../domain/work.ts";
import type { Config } from "../infra/config.ts";
import { isRecordRejected, sendGroups } from "../infra/kafka.ts";
import { flightKey, flightsArrivedKey, workStateKey } from "../infra/keys.ts";
import { errorMessage, type Logger } from "../infra/log.ts";
import { scriptsOf } from "../infra/scripts.ts";
import type { Counts } from "./arrival_scan.ts";
import type { ScannerMetrics } from "./scanner_metrics.ts";
import { type DeadWork, sendDeadWork } from "./work_dead_letters.ts";

/** What publishing sends with and counts. */
export interface PublishDeps {
  readonly redis: RedisClient;
  readonly producer: Producer;
  readonly config: Config;
  readonly metrics: ScannerMetrics;
  readonly logger?: Logger;
}

/** What one publish step did, and the flights whose work it sent (ids only: a whole scan's work is not kept). */
export interface Published {
  readonly counts: Partial<Counts>;
  readonly sentIds: readonly string[];
}

/** Publishes the work a scan claimed. */
export class WorkPublisher {
  private readonly maxWorkBytes: number;

  constructor(private readonly deps: PublishDeps) {
    this.maxWorkBytes = maxWorkMessageBytes(deps.config.limits);
  }

  /**
   * Sends claimed work to Kafka and confirms it; work too large for the topic, or that the broker rejects
   * on its own, goes to the dead-letter topic instead. Throws only for what affects every flight (Kafka or
   * Redis away): the claims then stay, and the next scan takes them over.
   */
  async publish(
    messages: readonly FlightWork[],
    unreadable: readonly DeadWork[],
    token: string,
  ): Promise<Published> {
    const { config, metrics } = this.deps;
    const dead = [...unreadable];
    const sendable: { work: FlightWork; value: string }[] = [];
    for (const work of messages) {
      const value = JSON.stringify(work);
      if (value.length <= this.maxWorkBytes) sendable.push({ work, value });
      else {
        const detail = `work message of ${value.length} bytes exceeds the largest valid one (${this.maxWorkBytes})`;
        dead.push({ id: work.id, revision: work.revision, reason: "too_large", detail, work, value });
      }
    }
    const { sent, rejected } = await this.send(sendable);
    dead.push(...rejected);
    // The manifest is recorded with the revision: the next revision lists the bags it no longer has. On a cluster,
    // each master confirms the flights whose keys it serves.
    await callPerNode(this.deps.redis, sent, (work) => flightKey(work.id), ({ node, items, scopes }) => {
      const args: (string | number)[] = [token];
      items.forEach((work, index) => {
        const scope = scopes[index];
        const bags = JSON.stringify(Object.keys(work.bags));
        args.push(
          workStateKey(work.id, scope),
          flightsArrivedKey(scope),
          work.id,
          work.revision,
          work.arrival_time,
          bags,
        );
      });
      return scriptsOf(node).confirm_flight_work.run([], args);
    });
    if (dead.length > 0) {
      await sendDeadWork(this.deps.producer, config.topics.work, dead);
      await callPerNode(this.deps.redis, dead, (entry) => flightKey(entry.id), ({ node, items, scopes }) => {
        const args: (string | number)[] = [token];
        items.forEach((entry, index) => args.push(workStateKey(entry.id, scopes[index]), entry.revision));
        return scriptsOf(node).fail_flight_work.run([], args);
      });
      for (const entry of dead) {
        metrics.deadLettered.inc({ reason: entry.reason });
        this.deps.logger?.error(
          { flight: entry.id, revision: entry.revision, reason: entry.reason, detail: entry.detail },
          "work dead-lettered; the flight is tried again when its work changes",
        );
      }
    }
    this.countPublished(sent);
    return { counts: { published: sent.length, deadLettered: dead.length }, sentIds: sent.map((work) => work.id) };
  }

  /** Sends the values in groups; a group the broker rejects for its records is sent again message by message. */
  private async send(items: readonly { work: FlightWork; value: string }[]) {
    const topic = this.deps.config.topics.work;
    const sent: FlightWork[] = [];
    const rejected: DeadWork[] = [];
    const sendGroup = (group: readonly { work: FlightWork; value: string }[]) =>
      this.deps.producer.send({
        topic,
        acks: -1,
        messages: group.map(({ work, value }) => ({ key: work.id, value })),
      });
    for (const group of sendGroups(items)) {
      try {
        await sendGroup(group);
        sent.push(...group.map(({ work }) => work));
        continue;
      } catch (error) {
        if (!isRecordRejected(error)) throw error;
      }
      for (const item of group) {
        try {
          await sendGroup([item]);
          sent.push(item.work);
        } catch (error) {
          if (!isRecordRejected(error)) throw error;
          rejected.push({
            id: item.work.id,
            revision: item.work.revision,
            reason: "rejected",
            detail: `the broker rejected it: ${errorMessage(error)}`,
            work: item.work,
            value: item.value,
          });
        }
      }
    }
    return { sent, rejected };
  }

  private countPublished(sent: readonly FlightWork[]): void {
    const { metrics } = this.deps;
    // One increment per outcome and batch: a labelled increment per bag cost more than the bag's own work.
    const outcomes = new Map<string, number>();
    for (const work of sent) {
      metrics.workMessages.inc();
      if (work.revision > 1) metrics.corrections.inc();
      else metrics.publishLeadSeconds.observe(work.arrival_time - work.scanned_at);
      for (const value of Object.values(work.bags)) {
        const outcome = bagOutcome(value);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      metrics.latestArrival.set(work.arrival_time);
    }
    for (const [outcome, count] of outcomes) metrics.bagWorkItems.inc({ outcome }, count);
  }
}
