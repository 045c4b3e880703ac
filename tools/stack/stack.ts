/** `deno task stack up|down|status`: the local Redis, Kafka and PostgreSQL, without Docker. */
import { commandArgs, exit } from "../../lib/infra/runtime.ts";
import { kafkaPid, startKafka, stopKafka } from "./kafka_broker.ts";
import { postgresPid, startPostgres, stopPostgres } from "./postgres_server.ts";
import { prometheusPid, stopPrometheus } from "./prometheus_server.ts";
import { redisPid, startRedis, stopRedis } from "./redis_server.ts";
import { loadStackSettings } from "./settings.ts";

const [command = "status"] = commandArgs();
try {
  const settings = loadStackSettings();
  switch (command) {
    case "up":
      await startRedis(settings);
      if (settings.postgresPort !== 0) await startPostgres(settings);
      await startKafka(settings);
      console.log(
        `stack: up (redis 127.0.0.1:${settings.redisPort}, kafka 127.0.0.1:${settings.kafkaPort}` +
          `${
            settings.postgresPort === 0 ? "" : `, postgres 127.0.0.1:${settings.postgresPort}`
          }, data ${settings.dir})`,
      );
      break;
    case "down":
      await stopPrometheus(settings);
      await stopKafka(settings);
      await stopPostgres(settings);
      await stopRedis(settings);
      console.log("stack: down");
      break;
    case "status":
      console.log(`redis: ${redisPid(settings) ? `running (pid ${redisPid(settings)})` : "stopped"}`);
      console.log(`kafka: ${kafkaPid(settings) ? `running (pid ${kafkaPid(settings)})` : "stopped"}`);
      if (settings.postgresPort !== 0) {
        console.log(`postgres: ${postgresPid(settings) ? `running (pid ${postgresPid(settings)})` : "stopped"}`);
      }
      console.log(`prometheus: ${prometheusPid(settings) ? `running (pid ${prometheusPid(settings)})` : "stopped"}`);
      break;
    default:
      console.error(`usage: deno task stack up|down|status (got ${JSON.stringify(command)})`);
      exit(2);
  }
  exit(0);
} catch (error) {
  console.error(`stack: ${error instanceof Error ? error.message : String(error)}`);
  exit(1);
}
