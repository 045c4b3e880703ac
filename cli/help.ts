/**
 * The text of `baggage-router --help`. Which variables exist comes from the code (loadConfig() and
 * loadProducerSettings() run against an environment that records what they look up); their defaults and
 * meanings come from the tables of docs/configuration.md, embedded as text, so that page stays the one place they
 * are written.
 */
import configurationPage from "../docs/configuration.md" with { type: "text" };
import { loadConfig } from "../lib/infra/config.ts";
import { PROCESSES, type Registry } from "../lib/processes.ts";
import { loadProducerSettings } from "../tools/producer/config.ts";

type Env = Record<string, string | undefined>;

/** The environment variables `read` looks up, in order, found by giving it an empty environment that records them. */
export function variablesRead(read: (env: Env) => unknown): string[] {
  const names = new Set<string>();
  const recorder = new Proxy<Env>({}, {
    get: (_target, name) => {
      if (typeof name === "string") names.add(name);
      return undefined;
    },
  });
  read(recorder);
  return [...names];
}

/** Variables every command reads. */
export const SERVICE_VARIABLES = variablesRead((env) => loadConfig("flight-consumer", env));

/** Variables only the producer reads (its MAX_BAGS_PER_FLIGHT check gets the consumers' default). */
export const PRODUCER_VARIABLES = variablesRead((env) => loadProducerSettings(5_000, env))
  .filter((name) => !SERVICE_VARIABLES.includes(name));

/** A row of a table of variables in docs/configuration.md: `| \`A\`, \`B\` | default | meaning |`. */
export interface DocumentedVariables {
  readonly names: readonly string[];
  readonly defaultValue: string;
  readonly meaning: string;
}

const NAMES_CELL = /^`[A-Z][A-Z0-9_]*`(?:,\s*`[A-Z][A-Z0-9_]*`)*$/;

/** The rows of every three-column Markdown table in `markdown` whose first cell holds only variable names. */
export function documentedVariables(markdown: string): DocumentedVariables[] {
  const rows: DocumentedVariables[] = [];
  for (const line of markdown.split("\n")) {
    const inner = /^\|(.*)\|$/.exec(line.trim())?.[1];
    const cells = inner?.split(/(?<!\\)\|/).map((cell) => cell.trim());
    if (cells?.length !== 3 || !NAMES_CELL.test(cells[0]!)) continue;
    rows.push({
      names: [...cells[0]!.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]!),
      defaultValue: plainText(cells[1]!),
      meaning: plainText(cells[2]!),
    });
  }
  return rows;
}

const plainText = (cell: string) =>
  cell.replaceAll("`", "").replaceAll("\\|", "|").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");

/** Lines describing `names`: one per documented row that holds any of them, then the ones the page lacks. */
function variableLines(names: readonly string[], rows: readonly DocumentedVariables[], missing: string): string[] {
  const wanted = new Set(names);
  const entries: [string, string][] = [];
  for (const row of rows) {
    const listed = row.names.filter((name) => wanted.has(name));
    if (listed.length === 0) continue;
    listed.forEach((name) => wanted.delete(name));
    const fallback = row.defaultValue === "(none)" ? "" : ` (default: ${row.defaultValue})`;
    entries.push([listed.join(", "), `${row.meaning}${fallback}`]);
  }
  for (const name of wanted) entries.push([name, missing]);
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`);
}

/** The whole help text of version `version`, with a line for each process of `registry`. */
export function helpText(version: string, registry: Registry = PROCESSES): string {
  const rows = documentedVariables(configurationPage);
  const width = Math.max(...Object.keys(registry).map((name) => name.length));
  const commands = Object.entries(registry).map(([name, process]) =>
    `  ${name.padEnd(width)}  ${process.summary} (metrics port ${process.metricsPort})`
  );
  return [
    `baggage-router ${version}: routes baggage from Kafka through Redis`,
    "",
    "Usage: baggage-router <command>   runs one process until SIGINT or SIGTERM (a graceful stop, exit code 0)",
    "       baggage-router --help      prints this text",
    "       baggage-router --version   prints the version",
    "",
    "Commands:",
    ...commands,
    "",
    "Environment variables (every command reads them once at start):",
    ...variableLines(SERVICE_VARIABLES, rows, "see docs/configuration.md"),
    "",
    "Environment variables of the producer only:",
    ...variableLines(PRODUCER_VARIABLES, rows, "see the test producer's settings (tools/producer/config.ts)"),
    "",
  ].join("\n");
}
