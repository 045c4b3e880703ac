/**
 * One run of the whole pipeline on the chaos stack, with the real worker processes: phase 1 is
 * produced, the consumers and the bridge start, phase 1 is consumed, scanned (scanner processes run
 * for the round: each scans once at start), mirrored; then phase 2 the same way. A scenario's faults
 * run alongside. Once they are over every stage's outcome is checked again (a fault can undo one),
 * the workers stop gracefully, and the final Redis state is read.
 */
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { loadConfig } from "../../lib/infra/config.ts";
import { deadLetterTopic } from "../../lib/consume/dead_letters.ts";
import { ensureTopics } from "../../lib/infra/kafka.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { connectRedis, type Redis } from "../../lib/infra/redis.ts";
import { archivedOffsets, createRunArchive, readArchive, type RunArchive } from "./archive_state.ts";
import type { ChaosDataset } from "./dataset.ts";
import type { FaultRecord } from "./faults.ts";
import { producePhase, workerEnv } from "./feed.ts";
import { applied, type Component, type Progress, ProgressMonitor, summary } from "./progress.ts";
import type { ChaosSettings } from "./settings.ts";
import type { ChaosStack } from "./stack.ts";
import { RunStages } from "./stages.ts";
import { type FinalState, readFinalState } from "./state.ts";
import { type Role, WorkerPool } from "./workers.ts";

/** What a run leaves: its duration, faults, final state and resource figures. */
export interface RunOutcome {
  readonly seconds: number;
  readonly faults: readonly FaultRecord[];
  readonly state: FinalState;
  readonly peakRssMb: ReadonlyMap<Role, number>;
  readonly unexpectedExits: readonly string[];
  readonly retries: number;
}

const STREAM = "stream:arriving_flight_work";
const SCANNER: Role = "arrival-scanner";

/** One run of the pipeline on the chaos stack: its topics, worker processes, progress and stages. */
export class PipelineRun {
  readonly id: string;
  readonly topics: { readonly flights: string; readonly bags: string; readonly work: string };
  readonly pool: WorkerPool;
  readonly monitor: ProgressMonitor;
  readonly redis: Redis;
  /** Scanner replicas a fault killed for good (scenario 5): scan rounds go on without them. */
  readonly retired = new Set<number>();
  /** The stages reached so far, and the actions scenarios hooked on the next ones. */
  readonly stages = new RunStages((message) => this.debug(message));
  private readonly kafka: Kafka;
  private readonly admin;
  /** The run's schema in the chaos stack's PostgreSQL, made when the run starts. */
  private archive: RunArchive | undefined;
  private readonly aborted = Promise.withResolvers<never>();

  private constructor(
    readonly label: string,
    readonly stack: ChaosStack,
    readonly dataset: ChaosDataset,
    readonly settings: ChaosSettings,
    readonly replicas: number,
    redis: Redis,
  ) {
    this.id = `${label}-${Date.now().toString(36)}`;
    this.topics = { flights: `chaos-${this.id}-flights`, bags: `chaos-${this.id}-bags`, work: `chaos-${this.id}-work` };
    // Retries long enough to ride out the Kafka outage of scenario 2 within one send (an idempotent send):
    // attempts 3 s apart for the outage and a minute more.
    this.kafka = new Kafka({
      clientId: "chaos",
      brokers: [stack.brokers],
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 300, maxRetryTime: 3000, retries: Math.ceil(settings.kafkaOutageMs / 3000) + 20 },
    });
    this.admin = this.kafka.admin();
    this.redis = redis;
    this.pool = new WorkerPool((role) => this.env(role), join(stack.settings.dir, "logs", this.id));
    this.pool.disabled.add(SCANNER);
    this.monitor = new ProgressMonitor(
      redis,
      { ...this.topics, stream: STREAM },
      () => this.pool.sampleRss(),
      async () =>
        (this.archive ? (await archivedOffsets(this.archive.sql)).get(this.topics.bags) : undefined) ??
          new Map(),
    );
    this.aborted.promise.catch(() => {});
  }

  /** A run with `replicas` replicas of every worker, on an emptied Redis and topics of its own. */
  static async create(label: string, stack: ChaosStack, dataset: ChaosDataset, settings: ChaosSettings, replicas = 1) {
    return new PipelineRun(label, stack, dataset, settings, replicas, await connectRedis(stack.redisUrl, "chaos"));
  }

  /** The environment of a worker process of this run. */
  env(role: Role): Record<string, string | undefined> {
    return workerEnv(this.stack, { ...this.topics, stream: STREAM }, `${role}-${this.id}`, this.archive?.url);
  }

  /** Waits until `condition` holds for the latest progress sample. */
  async until(condition: (progress: Progress) => boolean, what: string): Promise<void> {
    await this.bounded(what, () => condition(this.monitor.latest), 4);
  }

  /** Runs the pipeline with `inject` running alongside; resolves with the outcome once everything stopped. */
  async execute(inject: (run: PipelineRun) => Promise<FaultRecord[]>): Promise<RunOutcome> {
    try {
      await this.redis.flushall();
      this.archive = await createRunArchive(this.stack.postgresUrl, `chaos_${this.id}`);
      await this.admin.connect();
      // Created here with their dead-letter topics and awaited: a worker whose first metadata request comes
      // before the broker serves a brand-new topic fails to start ("does not host this topic-partition"), and
      // kafkajs' createTopics itself can fail so on a broker that just started (the retry finds them created).
      const topics = Object.values(this.topics).flatMap((topic) => [topic, deadLetterTopic(topic)]);
      const config = loadConfig("bridge", this.env("bridge"));
      await waitFor(() => ensureTopics(this.kafka, config, topics), 60_000, undefined, 500);
      for (const topic of topics) await this.lastOffsets(topic);
      this.monitor.start();
      const started = Date.now();
      for (const role of ["flight-consumer", "bag-consumer", "bridge", "archiver"] as const) {
        for (let replica = 0; replica < this.replicas; replica++) this.pool.start(role, replica);
      }
      await this.stages.advance("started");
      const faults = inject(this);
      // A failing fault ends the run's waits at once (and its rejection is handled if the run fails first).
      faults.catch((error) => this.aborted.reject(error));
      await this.produce(0, this.settings.produceMs);
      await this.stages.advance("produced1");
      await this.phase(0);
      await this.produce(1, 0);
      await this.stages.advance("produced2");
      await this.phase(1);
      const records = await faults;
      await this.phase(1, true);
      await this.archived(topics);
      await this.stages.advance("verified");
      const seconds = (Date.now() - started) / 1000;
      await this.pool.close();
      await this.monitor.stop();
      const workMessages = applied(await this.lastOffsets(this.topics.work));
      return {
        seconds,
        faults: records,
        state: await readFinalState(
          this.redis,
          { ...this.topics, stream: STREAM },
          workMessages,
          await readArchive(this.archive.sql, this.topicRoles()),
        ),
        peakRssMb: this.pool.peakRssMb,
        unexpectedExits: this.pool.unexpectedExits,
        retries: this.pool.retries(),
      };
    } finally {
      // Ends the waits of faults still pending (after a failure), so that none acts on the next run.
      this.aborted.reject(new Error(`${this.label} is over`));
      await this.pool.close();
      await this.monitor.stop();
      // The run's topics go (best effort), so that the chaos stack does not grow run after run.
      const topics = Object.values(this.topics).flatMap((topic) => [topic, deadLetterTopic(topic)]);
      await this.admin.deleteTopics({ topics }).catch(() => {});
      await this.admin.disconnect().catch(() => {});
      this.redis.disconnect();
      await this.archive?.drop();
    }
  }

  /** Waits until the archiver archived every message of `topics` (the run's topics and dead-letter topics). */
  private async archived(topics: readonly string[]): Promise<void> {
    const archive = this.archive!;
    await this.bounded("archiving", async () => {
      const offsets = await archivedOffsets(archive.sql);
      const behind: string[] = [];
      for (const topic of topics) {
        for (const [partition, last] of await this.lastOffsets(topic)) {
          const archived = offsets.get(topic)?.get(partition) ?? -1;
          if (last >= 0 && archived < last) behind.push(`${topic}/${partition} at ${archived} of ${last}`);
        }
      }
      // Thrown, so that a timeout names what is behind.
      if (behind.length > 0) throw new Error(`the archive is behind on ${behind.join(", ")}`);
      return true;
    });
  }

  /** The run's topic names -> their roles, so that archived dead letters compare across runs. */
  private topicRoles(): Map<string, string> {
    const roles = new Map<string, string>();
    for (const [role, topic] of Object.entries(this.topics)) {
      roles.set(topic, `<${role} topic>`);
      roles.set(deadLetterTopic(topic), `<${role} topic>.dlq`);
    }
    return roles;
  }

  /**
   * Waits until each component progressed past `before` on every partition that has work, or has none
   * left once its input for the phase is complete (the scanner: until the round's work is all confirmed);
   * returns the seconds since `clearedAt`.
   */
  async recovery(
    components: readonly Component[],
    before: Progress,
    clearedAt: number,
    restarted?: { role: Role; replica: number },
  ): Promise<number> {
    await this.bounded("recovery", async () => {
      const now = await this.monitor.sample();
      for (const component of components) {
        if (component === "scanner") {
          if (now.scanner < this.monitor.expected.size) return false;
          continue;
        }
        // A caught-up partition counts once no more input is coming in this phase, or once the restarted
        // process is up (the consumers' start-up includes joining the group).
        const idleIsRecovered = (restarted && this.pool.started(restarted.role, restarted.replica)) ||
          (component === "bridge"
            ? this.stages.reached("scanned1") && (!this.stages.reached("consumed2") || this.stages.reached("scanned2"))
            : this.stages.reached("produced1"));
        const topic = component === "bridge"
          ? this.topics.work
          : component === "archive"
          ? this.topics.bags
          : this.topics[component];
        for (const [partition, last] of await this.lastOffsets(topic)) {
          const offset = now.offsets[component].get(partition) ?? -1;
          const progressed = offset > (before.offsets[component].get(partition) ?? -1);
          if (!progressed && !(idleIsRecovered && offset >= last)) return false;
        }
      }
      return true;
    }, 4);
    const seconds = (Date.now() - clearedAt) / 1000;
    this.debug(`recovered in ${seconds.toFixed(1)} s: ${JSON.stringify(summary(this.monitor.latest))}`);
    return seconds;
  }

  /** Logs `message` with CHAOS_DEBUG=1. */
  debug(message: string): void {
    if (this.settings.debug) console.error(`chaos ${this.label} ${new Date().toISOString()}: ${message}`);
  }

  /** Consumes, scans and mirrors phase `phase`; when verifying, scans only if the work is not all confirmed. */
  private async phase(phase: 0 | 1, verifying = false): Promise<void> {
    const n = phase === 0 ? 1 : 2;
    this.monitor.setPhase(phase, this.dataset.digests[phase]);
    const [flights, bags] = await Promise.all([
      this.lastOffsets(this.topics.flights),
      this.lastOffsets(this.topics.bags),
    ]);
    await this.bounded(`consuming phase ${n}`, async () => {
      const progress = await this.monitor.sample();
      return applied(progress.offsets.flights) >= applied(flights) && applied(progress.offsets.bags) >= applied(bags);
    });
    if (!verifying) await this.stages.advance(`consumed${n}`);
    if (!verifying || (await this.monitor.sample()).scanner < this.monitor.expected.size) await this.scanRound(n);
    if (!verifying) await this.stages.advance(`scanned${n}`);
    const work = applied(await this.lastOffsets(this.topics.work));
    await this.bounded(
      `mirroring phase ${n}`,
      async () => applied((await this.monitor.sample()).offsets.bridge) >= work,
    );
    if (!verifying) await this.stages.advance(`mirrored${n}`);
  }

  /**
   * Runs scanner processes until every flight's work is confirmed with the expected digest. A scanner
   * scans once at start; once that scan is over and work is still missing (claims left by a killed scan,
   * a failed send), it is started again as soon as no live claim would make it skip flights (its cron
   * would do the same at the next minute).
   */
  private async scanRound(n: number): Promise<void> {
    const scanners = () => [...Array(this.replicas).keys()].filter((replica) => !this.retired.has(replica));
    this.pool.disabled.delete(SCANNER);
    for (const replica of scanners()) this.pool.start(SCANNER, replica);
    await this.bounded(`scanning phase ${n}`, async () => {
      const progress = await this.monitor.sample();
      if (progress.scanner === this.monitor.expected.size) return true;
      if (progress.pendingClaims > 0 && progress.latestClaimExpiry >= Date.now() / 1000 - 1) return false;
      for (const replica of scanners()) {
        if (this.scannerStarted(replica)) {
          await this.pool.stop(SCANNER, replica, "SIGTERM");
          this.pool.start(SCANNER, replica);
        }
      }
      return false;
    });
    this.pool.disabled.add(SCANNER);
    await this.pool.stopRole(SCANNER);
  }

  /** Whether the scanner replica has started, so its first scan is over (or has died). */
  private scannerStarted(replica: number): boolean {
    const scanner = this.pool.get(SCANNER, replica);
    return scanner !== undefined && (!scanner.isRunning() || this.pool.started(SCANNER, replica));
  }

  private async produce(phase: 0 | 1, overMs: number): Promise<void> {
    await producePhase(this.kafka, this.topics, this.dataset.phases[phase], overMs);
  }

  /** Partition -> offset of the last message in `topic` (-1 when empty), retried while Kafka is down. */
  private async lastOffsets(topic: string): Promise<Map<number, number>> {
    const wait = Math.max(120_000, this.settings.kafkaOutageMs + 60_000);
    const offsets = await waitFor(() => this.admin.fetchTopicOffsets(topic), wait, undefined, 500);
    return new Map(offsets.map((entry) => [entry.partition, Number(entry.high) - 1]));
  }

  /** Polls `probe` until it returns true, within `factor` stage timeouts, or until the faults failed. */
  private async bounded(what: string, probe: () => Promise<boolean> | boolean, factor = 1): Promise<void> {
    const timeout = this.settings.stageTimeoutMs * factor;
    const describe = (last: unknown) =>
      `${this.label}: ${what} not done within ${timeout / 1000} s (${String(last)}); progress ${
        JSON.stringify(summary(this.monitor.latest))
      }\n${this.pool.outputs()}`;
    await Promise.race([waitFor(probe, timeout, describe, 250), this.aborted.promise]);
  }
}
