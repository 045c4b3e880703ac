/**
 * `deno task bench`: starts its own stack, produces a seeded dataset, and measures in one run every
 * stage of the pipeline against its ceiling, Redis memory and the workers' peak RSS (issue 7).
 * Progress goes to stderr; the table and the summary line to stdout; the figures to tools/bench/results/.
 */
import { BAG_COUNT, bagKey, FLIGHT_COUNT, flightKey } from "../../lib/infra/keys.ts";
import { commandArgs, environment, exit } from "../../lib/infra/runtime.ts";
import {
  BENCH_BROKERS,
  benchKafka,
  benchRedis,
  benchRedisUrl,
  createTopics,
  deleteOldTopics,
  stack,
} from "./bench_stack.ts";
import { brokerConsumeCeiling, brokerProduceCeiling } from "./broker_ceiling.ts";
import { bridgeCounters, bridgeStage } from "./bridge_stage.ts";
import { decodeCeiling, luaCeiling } from "./client_ceilings.ts";
import { archiveCpu, archiveStage } from "./archive.ts";
import { baggageMessagesStage } from "./baggage_messages.ts";
import { type BoardLoad, boardLoadStage } from "./board_load.ts";
import { boardLoadAlone, boardTable, boardTargets } from "./board_load_report.ts";
import { consumeStage } from "./consume.ts";
import { cpuBoundPerSecond } from "./cpu.ts";
import { stopAllWorkers } from "./workers.ts";
import { latencyPhase } from "./latency.ts";
import { freshnessStage } from "./freshness.ts";
import { removeDueRecords, seedDueRecords } from "./due_records.ts";
import { describeMachine } from "./machine.ts";
import { memoryFigures, usedMemory } from "./memory.ts";
import { DATASET_HOURS, datasetOptions, parseOptions } from "./options.ts";
import { produceDataset } from "./produce.ts";
import { type Results, summaryLine, table, writeResults } from "./report.ts";
import { scanAndBridgeCeilings } from "./redis_ceilings.ts";
import { createScanRig, scanThroughput, singleFlightScan } from "./scan.ts";
import { loadConfig } from "../../lib/infra/config.ts";

const TOPIC_PREFIX = "bench.";
const STREAM = "stream:bench_work";
/** The consumers' default chunk (UPSERT_BATCH_SIZE), used by the Lua ceiling too. */
const UPSERT_CHUNK = 500;
/** Flights whose work the scan-read and bridge-append ceilings use. */
const CEILING_FLIGHTS = 500;

const step = (message: string) => console.error(`bench: ${message}`);

let options;
try {
  options = parseOptions(commandArgs());
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  exit(2);
}
const began = performance.now();
const startedAt = new Date().toISOString();
const loadAverageAtStart = Deno.loadavg()[0] ?? 0;

step("starting the bench stack (redis 26379, kafka 29092, .stack/bench)");
await stack("up");
if (options.only === "board") {
  exit(await boardLoadAlone(options, { args: commandArgs(), startedAt, loadAverageAtStart }, step));
}
let failed = false;
try {
  const kafka = benchKafka();
  const redis = await benchRedis(0);
  const scratch = await benchRedis(1);
  await redis.flushdb();
  await scratch.flushdb();
  await deleteOldTopics(kafka, TOPIC_PREFIX);
  const runId = Date.now().toString(36);
  const topic = (name: string) => `${TOPIC_PREFIX}${runId}.${name}`;
  const topics = {
    flights: topic("flights"),
    bags: topic("bags"),
    work: topic("work"),
    perf: topic("perf"),
    baggageMessages: topic("baggage_messages"),
  };
  await createTopics(kafka, Object.values(topics), options.partitions);
  const env = (service: string) => ({
    ...environment(),
    KAFKA_BROKERS: BENCH_BROKERS,
    REDIS_URL: benchRedisUrl(0),
    FLIGHTS_TOPIC: topics.flights,
    BAGS_TOPIC: topics.bags,
    WORK_TOPIC: topics.work,
    WORK_STREAM: STREAM,
    KAFKA_PARTITIONS: String(options.partitions),
    KAFKA_GROUP_ID: `${service}-${runId}`,
    LOG_LEVEL: "info",
  });
  const extraFlags = options.cpuProf ? ["--cpu-prof", "--cpu-prof-dir=.stack/bench/profiles"] : [];

  const dataset = datasetOptions(options, Math.floor(Date.now() / 1000) + 600);
  step(`producing ${options.bags} bags (${dataset.flightsPerHour * DATASET_HOURS} flights) at pace max`);
  const produced = await produceDataset(kafka, topics, dataset);
  const bagBytes = Math.round(produced.averageBagBytes);

  step("ceiling: broker alone (Kafka ProducerPerformance, ConsumerPerformance)");
  const brokerProduce = await brokerProduceCeiling(topics.perf, produced.bagsSent, bagBytes);
  const brokerConsume = await brokerConsumeCeiling(topics.bags, produced.bagsSent, `perf-${runId}`);
  step(`ceiling: kafkajs decode-only (${options.consumers} processes)`);
  const decode = await decodeCeiling(topics.bags, produced.bagsSent, options.consumers, `decode-${runId}`, env("x"));
  step("ceiling: Lua upserts alone");
  const { samples } = produced;
  const lua = await luaCeiling(scratch, samples.flights, samples.bags, UPSERT_CHUNK, 2 * options.consumers);

  await seedDueRecords(redis, samples.bags.map((bag) => bag.id), samples.flights.map((flight) => flight.id));
  const memoryStart = await usedMemory(redis);
  step("stage: flight consumption (1 process)");
  const flights = await consumeStage(kafka, redis, {
    service: "flight-consumer",
    processedMetric: "processed_flights_total",
    topic: topics.flights,
    processes: 1,
    env: env("flight-consumer"),
    extraFlags,
  });
  const memoryAfterFlights = await usedMemory(redis);
  step(`stage: bag consumption (${options.consumers} processes)`);
  const bags = await consumeStage(kafka, redis, {
    service: "bag-consumer",
    processedMetric: "processed_bags_total",
    topic: topics.bags,
    processes: options.consumers,
    env: env("bag-consumer"),
    extraFlags,
  });
  const memoryAfterBags = await usedMemory(redis);
  const bsm = await baggageMessagesStage({
    kafka,
    topic: topics.baggageMessages,
    dataset,
    json: { perSecond: bags.perSecond, bagsSent: produced.bagsSent },
    processes: options.consumers,
    env: env("baggage-messages"),
    extraFlags,
  }, step);
  await removeDueRecords(redis);
  const [flightCount, bagCount] = (await redis.mget(FLIGHT_COUNT, BAG_COUNT)).map(Number) as [number, number];
  if (flightCount !== produced.flightsSent || bagCount !== produced.bagsSent) {
    throw new Error(
      `Redis holds ${flightCount} flights and ${bagCount} bags, ` +
        `${produced.flightsSent} and ${produced.bagsSent} were produced`,
    );
  }
  const perFlight = await memoryFigures(
    redis,
    memoryStart,
    memoryAfterFlights,
    flightCount,
    samples.flights.slice(0, 500).map((flight) => flightKey(flight.id)),
  );
  const bagMemorySample = samples.bags.slice(0, 2_000);
  const perBag = await memoryFigures(
    redis,
    memoryAfterFlights,
    memoryAfterBags,
    bagCount,
    bagMemorySample.map((bag) => bagKey(bag.id)),
    (index) => `${bagMemorySample[index]!.flights.length} flights`,
  );
  // The seed's contract alone (key `bag:id:<id>`, field `flights`, the JSON itinerary) before any Redis overhead.
  const rawBytesPerBag = bagMemorySample.reduce(
    (sum, bag) => sum + bagKey(bag.id).length + "flights".length + JSON.stringify(bag.flights).length,
    0,
  ) / bagMemorySample.length;

  // The scans run in this process: drop what the ceilings needed, so they run in a heap as lean as a scanner's.
  samples.flights = [];
  samples.bags = [];
  // The last hour's flights are kept unpublished for the single-flight scans and the latency phase.
  const boundary = dataset.startSeconds + (DATASET_HOURS - 1) * 3600;
  step("ceilings: the scan's Redis reads alone, the bridge's Lua append alone (no Kafka)");
  const bridgeConfig = loadConfig("bridge", env("bridge"));
  const readSample = produced.flights.filter((flight) => flight.arrival < boundary).slice(0, CEILING_FLIGHTS);
  const { reads, readsRecording, append } = await scanAndBridgeCeilings(
    redis,
    scratch,
    readSample.map((flight) => flight.id),
    {
      batchFlights: bridgeConfig.scan.batchFlights,
      batchMessages: bridgeConfig.stream.batchMessages,
      lanes: bridgeConfig.consumer.partitionsConcurrently,
      maxLength: bridgeConfig.stream.maxLength,
      graceSeconds: bridgeConfig.scan.graceSeconds,
    },
  );
  await scratch.quit();
  const rig = await createScanRig(env("arrival-scanner"));
  step("stage: arrival scan (in-process, injected clock)");
  const scan = await scanThroughput(rig, produced.flights, boundary);
  step("stage: scan of single ~400-bag flights");
  const single = await singleFlightScan(rig, produced.flights, boundary, 400, 9);

  step("stage: bridge");
  const expectedEntries = scan.workItems + single.bagCounts.reduce((sum, count) => sum + count, 0);
  const bridge = await bridgeStage(redis, STREAM, expectedEntries, env("bridge"), extraFlags);
  step("stage: scan-to-stream latency at the seed's rates");
  const latency = await latencyPhase(
    rig,
    redis,
    STREAM,
    produced.flights,
    boundary,
    dataset.flightsPerHour,
    new Set(single.flightIds),
  ).finally(() => rig.close());
  const counters = await bridgeCounters(bridge.worker);
  const bridgePeak = await bridge.worker.stop();
  if (counters.mirrored !== expectedEntries + latency.entries || counters.duplicates !== 0) {
    throw new Error(
      `the bridge appended ${counters.mirrored} entries (${counters.duplicates} duplicates skipped), ` +
        `${expectedEntries + latency.entries} bags were published`,
    );
  }

  const archive = await archiveStage({
    kafka,
    topics,
    topic,
    runId,
    env: env("archiver"),
    extraFlags,
    partitions: options.partitions,
    seed: options.seed,
    bags: produced.bagsSent,
    historyBags: options.archiveBags ?? 0,
  }, step);

  const freshness = options.freshnessSeconds > 0
    ? await freshnessStage({
      seconds: options.freshnessSeconds,
      seed: options.seed,
      partitions: options.partitions,
      runId,
      topicPrefix: TOPIC_PREFIX,
      redisUrl: benchRedisUrl,
    }, step)
    : undefined;

  const board = (options.boardClients ?? 0) > 0
    ? await boardLoadStage({
      clients: options.boardClients!,
      seconds: options.boardSeconds ?? 60,
      seed: options.seed,
      redisUrl: benchRedisUrl,
    }, step)
    : undefined;

  const machine = await describeMachine(redis, loadAverageAtStart);
  // The board's figures and targets ride along in the JSON under stages.board.
  const results: Results & { stages: { board?: BoardLoad & { targets: unknown } } } = {
    startedAt,
    totalSeconds: (performance.now() - began) / 1000,
    options,
    machine,
    dataset: {
      bagsGenerated: produced.bagsGenerated,
      bagsSent: produced.bagsSent,
      flightsSent: produced.flightsSent,
      hours: dataset.hours,
      bagsPerHour: dataset.bagsPerHour,
      flightsPerHour: dataset.flightsPerHour,
      averageBagMessageBytes: bagBytes,
      workItemsScanned: scan.workItems,
    },
    ceilings: {
      brokerProducePerSecond: brokerProduce,
      brokerConsumePerSecond: brokerConsume,
      decodeOnlyPerSecond: decode.perSecond,
      luaFlightsPerSecond: lua.flightsPerSecond,
      luaBagsPerSecond: lua.bagsPerSecond,
      scanReadsPerSecond: reads.workItemsPerSecond,
      scanReadsRecordingPerSecond: readsRecording.workItemsPerSecond,
      bridgeAppendPerSecond: append.entriesPerSecond,
      cpuBoundBagsPerSecond: cpuBoundPerSecond(machine.cores, [
        decode.cpuMicrosecondsPerMessage.total ?? 0,
        lua.cpuMicrosecondsPerBag["redis-server"] ?? 0,
      ]),
    },
    stages: {
      produce: {
        perSecond: produced.messagesPerSecond,
        ceiling: { name: "ProducerPerformance", perSecond: brokerProduce },
        sendSeconds: produced.sendSeconds,
        generateSeconds: produced.generateSeconds,
      },
      flightConsumption: { ...flights, ceiling: { name: "Lua upsert alone", perSecond: lua.flightsPerSecond } },
      bagConsumption: { ...bags, ceiling: { name: "kafkajs decode-only", perSecond: decode.perSecond } },
      baggageMessages: bsm,
      scan: {
        ...scan,
        perSecond: scan.workItemsPerSecond,
        ceiling: { name: "its Redis reads alone", perSecond: reads.workItemsPerSecond },
      },
      singleFlightScan: single,
      bridge: {
        perSecond: bridge.perSecond,
        ceiling: { name: "Lua append alone", perSecond: append.entriesPerSecond },
        entries: bridge.units,
        seconds: bridge.seconds,
        mirrored: counters.mirrored,
        duplicatesSkipped: counters.duplicates,
      },
      latency,
      archive,
      ...(freshness ? { freshness } : {}),
      ...(board ? { board: { ...board, targets: boardTargets(board) } } : {}),
    },
    memory: { perBag: { ...perBag, rawBytesPerItem: rawBytesPerBag }, perFlight },
    cpuMicroseconds: {
      "bag, consumed": bags.cpuMicrosecondsPerMessage,
      "BSM, consumed": bsm.cpuMicrosecondsPerMessage,
      "bag, decode-only": decode.cpuMicrosecondsPerMessage,
      "bag, Lua alone": lua.cpuMicrosecondsPerBag,
      "flight, consumed": flights.cpuMicrosecondsPerMessage,
      "work item, scanned": scan.cpuMicrosecondsPerItem,
      "work item, reads alone": reads.cpuMicrosecondsPerItem,
      "work item, reads recording the due flights": readsRecording.cpuMicrosecondsPerItem,
      "entry, bridged": bridge.cpuMicrosecondsPerEntry,
      "entry, Lua append alone": append.cpuMicrosecondsPerEntry,
      ...archiveCpu(archive),
    },
    peakRssBytes: {
      "flight-consumer": flights.processes[0]?.peakRssBytes,
      ...Object.fromEntries(bags.processes.map((process) => [process.name, process.peakRssBytes])),
      ...Object.fromEntries(bsm.processes.map((process) => [process.name, process.peakRssBytes])),
      "bridge": bridgePeak,
      "archiver": archive.peakRssBytes,
      ...Object.fromEntries(decode.peakRssBytes.map((bytes, index) => [`decode-only-${index + 1}`, bytes])),
    },
  };
  await redis.quit();
  console.log(table(results));
  if (board) console.log(`\n${boardTable(board)}`);
  step(`results written to ${writeResults(results)}`);
  console.log(summaryLine(results));
} catch (error) {
  failed = true;
  console.error(`bench: failed: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  await stopAllWorkers();
  if (!options.keepStack) {
    step("stopping the bench stack (--keep-stack leaves it running)");
    await stack("down").catch((error) => console.error(`bench: stack down failed: ${error}`));
  }
}
exit(failed ? 1 : 0);
