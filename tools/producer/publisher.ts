/** Sends the scheduled messages to Kafka: waits for each send's due time (realistic pace), retries failed sends. */
import { type Producer, sendGroups } from "../../lib/infra/kafka.ts";
import { errorMessage, type Logger } from "../../lib/infra/log.ts";
import { backoffMs } from "../../lib/infra/retry.ts";
import type { Pace } from "./config.ts";
import type { ProducerMetrics } from "./metrics.ts";
import type { ScheduledBsmSend, ScheduledSend } from "./schedule.ts";

/** The time source of the publisher (injected in tests). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The wall clock and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    }),
};

/** What a publish run sent; `completed` is false when it was stopped before the end. */
export interface PublishReport {
  flights: number;
  bags: number;
  sends: number;
  completed: boolean;
}

/** A send of either format. */
export type AnySend = ScheduledSend | ScheduledBsmSend;

export interface PublisherOptions {
  readonly producer: Pick<Producer, "send">;
  /** Kafka topic of each kind of send; `baggageMessages` is needed only for `bsm` sends. */
  readonly topics: { readonly flights: string; readonly bags: string; readonly baggageMessages?: string };
  readonly metrics: ProducerMetrics;
  readonly logger: Logger;
  readonly pace: Pace;
  readonly clock?: Clock;
}

// Long waits are cut into steps so that a clock jump (suspend, NTP) is noticed within a minute.
const MAX_SLEEP_MS = 60_000;

/** Publishes a sequence of scheduled sends, one awaited send (acks -1) at a time. */
export class Publisher {
  private readonly clock: Clock;
  private latestArrival = 0;

  constructor(private readonly options: PublisherOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Sends everything in order, stopping after the send in hand once `signal` aborts. */
  async publish(sends: Iterable<AnySend>, signal: AbortSignal): Promise<PublishReport> {
    const report: PublishReport = { flights: 0, bags: 0, sends: 0, completed: false };
    for (const send of sends) {
      if (this.options.pace === "realistic") await this.waitUntil(send.due * 1000, signal);
      if (signal.aborted || !(await this.sendWithRetries(send, signal))) return report;
      report.sends += 1;
      this.count(send, report);
    }
    report.completed = true;
    return report;
  }

  private async waitUntil(dueMs: number, signal: AbortSignal): Promise<void> {
    for (let wait = dueMs - this.clock.now(); wait > 0 && !signal.aborted; wait = dueMs - this.clock.now()) {
      await this.clock.sleep(Math.min(wait, MAX_SLEEP_MS), signal);
    }
  }

  /** Sends until acknowledged (in size-bounded groups); false when stopped first. */
  private async sendWithRetries(send: AnySend, signal: AbortSignal): Promise<boolean> {
    const topic = this.topicOf(send);
    const messages = send.topic === "baggageMessages"
      ? send.records.map((record) => ({ key: record.tag, value: record.text }))
      : send.records.map((record) => ({ key: record.id, value: JSON.stringify(record) }));
    for (const group of sendGroups(messages)) {
      if (!(await this.sendGroup(topic, group, signal))) return false;
    }
    return true;
  }

  private async sendGroup(
    topic: string,
    messages: { key: string; value: string }[],
    signal: AbortSignal,
  ): Promise<boolean> {
    for (let attempt = 1;; attempt++) {
      try {
        await this.options.producer.send({ topic, acks: -1, messages });
        return true;
      } catch (error) {
        this.options.metrics.sendErrors.inc({ topic });
        if (signal.aborted) return false;
        const wait = backoffMs(attempt);
        this.options.logger.warn(
          { err: errorMessage(error), topic, attempt, wait_ms: wait },
          "send failed; retrying",
        );
        await this.clock.sleep(wait, signal);
        if (signal.aborted) return false;
      }
    }
  }

  private topicOf(send: AnySend): string {
    const topic = this.options.topics[send.topic];
    if (topic === undefined) throw new Error(`Publisher: no topic given for ${send.topic} sends`);
    return topic;
  }

  private count(send: AnySend, report: PublishReport): void {
    const { metrics } = this.options;
    metrics.messages.inc({ topic: this.topicOf(send) }, send.records.length);
    if (send.topic !== "flights") {
      metrics.bags.inc(send.records.length);
      report.bags += send.records.length;
      return;
    }
    metrics.flights.inc(send.records.length);
    report.flights += send.records.length;
    for (const flight of send.records) this.latestArrival = Math.max(this.latestArrival, flight.arrival_time);
    metrics.latestArrival.set(this.latestArrival);
  }
}
