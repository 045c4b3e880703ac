/**
 * The single-binary entry: `baggage-router <command>` runs one process of the registry (lib/processes.ts) with the
 * same environment variables as its deno task; `--help` lists them, `--version` prints the version.
 * `deno task binary` compiles it with Bun, `deno task compile` with Deno.
 */
import packageJson from "../package.json" with { type: "json" };
import { commandArgs, exit } from "../lib/infra/runtime.ts";
import { isServiceName, PROCESSES, SERVICE_NAMES } from "../lib/processes.ts";

const args = commandArgs();
const [first] = args;

if (args.length === 1 && isServiceName(first)) {
  await PROCESSES[first].load();
} else if (args.length === 1 && (first === "--help" || first === "-h")) {
  // Imported only here: the help reads the producer's settings, which load the data generator.
  const { helpText } = await import("./help.ts");
  console.log(helpText(packageJson.version));
} else if (args.length === 1 && (first === "--version" || first === "-V")) {
  console.log(`baggage-router ${packageJson.version}`);
} else {
  console.error(
    `Usage: baggage-router <${SERVICE_NAMES.join("|")}>\n       baggage-router --help | --version`,
  );
  exit(2);
}
