/** Entrypoint: archives the topics into PostgreSQL and serves their history. */
import { startArchiver } from "../lib/archive/archiver.ts";
import { runService } from "../lib/infra/service.ts";

await runService("archiver", startArchiver);
