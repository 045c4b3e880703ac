/**
 * `deno task stack up|down|status [--topology single|cluster]`: the local Redis, Kafka and PostgreSQL, without
 * Docker. `up` takes the flag, else STACK_TOPOLOGY, and records it in STACK_DIR; `down` and `status` act on the
 * recorded one.
 */
import { commandArgs, environment, exit } from "../../lib/infra/runtime.ts";
import { kafkaPid, startKafka, stopKafka } from "./kafka_broker.ts";
import { kafkaClusterBrokers, kafkaClusterStatus, startKafkaCluster, stopKafkaCluster } from "./kafka_cluster.ts";
import { postgresPid, startPostgres, stopPostgres } from "./postgres_server.ts";
import { prometheusPid, stopPrometheus } from "./prometheus_server.ts";
import { redisClusterPorts, redisClusterStatus, startRedisCluster, stopRedisCluster } from "./redis_cluster.ts";
import { redisPid, startRedis, stopRedis } from "./redis_server.ts";
import { loadStackSettings, stackDir, type StackSettings } from "./settings.ts";
import { parseStackArgs, recordedTopology, recordTopology, type Topology, UsageError } from "./topology.ts";

/** What each topology starts, stops and lists; PostgreSQL and Prometheus are the same in both. */
const TOPOLOGY: Record<Topology, {
  startRedis(settings: StackSettings): Promise<void>;
  startKafka(settings: StackSettings): Promise<void>;
  stop(settings: StackSettings): Promise<unknown>;
  processes(settings: StackSettings): { name: string; pid: number | undefined }[];
  addresses(settings: StackSettings): string;
}> = {
  single: {
    startRedis,
    startKafka,
    stop: async (settings) => {
      await stopKafka(settings);
      await stopPostgres(settings);
      await stopRedis(settings);
    },
    processes: (settings) => [{ name: "redis", pid: redisPid(settings) }, { name: "kafka", pid: kafkaPid(settings) }],
    addresses: (settings) => `redis 127.0.0.1:${settings.redisPort}, kafka 127.0.0.1:${settings.kafkaPort}`,
  },
  cluster: {
    startRedis: startRedisCluster,
    startKafka: startKafkaCluster,
    stop: async (settings) => {
      await stopKafkaCluster(settings);
      await stopPostgres(settings);
      await stopRedisCluster(settings);
    },
    processes: (settings) => [...redisClusterStatus(settings), ...kafkaClusterStatus(settings)],
    addresses: (settings) => {
      const [redis, kafka] = [redisClusterPorts(settings), kafkaClusterBrokers(settings)];
      return `cluster: redis 127.0.0.1:${redis[0]}-${redis.at(-1)}, kafka ${kafka[0]}-${kafka.at(-1)!.split(":")[1]}`;
    },
  },
};

try {
  const { command, topology: flag } = parseStackArgs(commandArgs());
  const env = environment();
  const dir = stackDir(env);
  const recorded = recordedTopology(dir);
  const topology = command === "up" ? flag ?? env.STACK_TOPOLOGY : recorded ?? flag ?? env.STACK_TOPOLOGY;
  const settings = loadStackSettings({ ...env, STACK_TOPOLOGY: topology });
  const stack = TOPOLOGY[settings.topology];
  const running = (t: Topology) => TOPOLOGY[t].processes(loadStackSettings({ ...env, STACK_TOPOLOGY: t }));
  switch (command) {
    case "up":
      if (recorded !== undefined && recorded !== settings.topology && running(recorded).some(({ pid }) => pid)) {
        throw new Error(`${dir} runs the ${recorded} topology: run \`deno task stack down\` first`);
      }
      recordTopology(dir, settings.topology);
      await stack.startRedis(settings);
      if (settings.postgresPort !== 0) await startPostgres(settings);
      await stack.startKafka(settings);
      console.log(
        `stack: up (${stack.addresses(settings)}` +
          `${settings.postgresPort === 0 ? "" : `, postgres 127.0.0.1:${settings.postgresPort}`}, data ${dir})`,
      );
      break;
    case "down":
      await stopPrometheus(settings);
      await stack.stop(settings);
      console.log("stack: down");
      break;
    case "status": {
      const processes = [...stack.processes(settings)];
      if (settings.postgresPort !== 0) processes.push({ name: "postgres", pid: postgresPid(settings) });
      processes.push({ name: "prometheus", pid: prometheusPid(settings) });
      for (const { name, pid } of processes) console.log(`${name}: ${pid ? `running (pid ${pid})` : "stopped"}`);
      break;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
  exit(0);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`usage: deno task stack up|down|status [--topology single|cluster] (${error.message})`);
    exit(2);
  }
  console.error(`stack: ${error instanceof Error ? error.message : String(error)}`);
  exit(1);
}
