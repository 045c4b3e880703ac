/**
 * `deno task history <bag-id|flight-id>`: prints the archive's history of a bag or a flight (or both, when
 * an id names both) as a timeline, read from PostgreSQL at POSTGRES_URL. Exits 1 when the archive knows
 * neither, 2 on a bad id or configuration.
 */
import { bagHistory, flightHistory } from "../lib/archive/history.ts";
import { bagTimeline, flightTimeline } from "../lib/archive/timeline.ts";
import { ID_PATTERN } from "../lib/domain/validation.ts";
import { ConfigError, loadConfig } from "../lib/infra/config.ts";
import { connectPostgres } from "../lib/infra/postgres.ts";
import { commandArgs, exit } from "../lib/infra/runtime.ts";

const args = commandArgs();
if (args.length !== 1 || !ID_PATTERN.test(args[0]!)) {
  console.error("usage: deno task history <bag-id|flight-id> (an id is 1-128 letters, digits, '_', '.' or '-')");
  exit(2);
}
let url: string;
try {
  url = loadConfig("archiver").archive.postgresUrl;
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  exit(2);
}
const id = args[0]!;
const sql = connectPostgres(url, "history");
try {
  const [bag, flight] = await Promise.all([bagHistory(sql, id), flightHistory(sql, id)]);
  const timelines = [bag && bagTimeline(bag), flight && flightTimeline(flight)].filter(Boolean);
  if (timelines.length === 0) {
    console.error(`the archive has no bag or flight ${id}`);
    exit(1);
  }
  console.log(timelines.join("\n\n"));
} finally {
  await sql.end({ timeout: 2 });
}
