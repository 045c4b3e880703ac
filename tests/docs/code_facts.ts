/**
 * What the code says, read from its source text: the environment variables it reads, the Prometheus metrics it
 * defines, the tasks of deno.json. The docs test compares these with what docs/ says.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The folders of non-test code (the product and its tooling), and the test run's own entry and helpers. */
export const CODE_FOLDERS = ["lib", "workers", "bridge", "readers", "cli", "launcher", "tools", "tests/_helpers"];
export const CODE_FILES = ["tests/run.ts"];
/** Folders code lived in before the restructure: walked only while they exist. */
export const FORMER_FOLDERS = ["bench", "chaos", "stack", "dev"];

export const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

function walk(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = `${folder}/${name}`;
    return statSync(join(ROOT, path)).isDirectory() ? walk(path) : [path];
  });
}

/** Every TypeScript file of non-test code that exists, as paths relative to the root. */
export function codeFiles(): string[] {
  const folders = [...CODE_FOLDERS, ...FORMER_FOLDERS].filter((folder) => existsSync(join(ROOT, folder)));
  return [...folders.flatMap(walk), ...CODE_FILES.filter((file) => existsSync(join(ROOT, file)))]
    .filter((path) => path.endsWith(".ts") && !path.endsWith("_test.ts"))
    .map((path) => relative(ROOT, join(ROOT, path)))
    .sort();
}

const NAME = "[A-Z][A-Z0-9_]*";
/** The first argument of an EnvReader method (lib/infra/config.ts), on the same line or the next. */
const READER_CALL = new RegExp(
  String.raw`\.(?:string|optionalString|integer|number|oneOf|boolean|raw)\(\s*"(${NAME})"`,
  "g",
);
/** A property of an environment object: `env.NAME`, `env?.NAME`, `environment().NAME`, `process.env.NAME`. */
const PROPERTY_READ = new RegExp(String.raw`\b(?:env|environment\(\))\??\.(${NAME})\b`, "g");
/** The same by a literal key: `env["NAME"]`, `environment()["NAME"]`, `Deno.env.get("NAME")`. */
const KEYED_READ = new RegExp(
  String.raw`\b(?:env|environment\(\))\[\s*"(${NAME})"\s*\]|Deno\.env\.get\(\s*"(${NAME})"`,
  "g",
);
/** A read by a computed name, which the patterns above cannot see. */
export const COMPUTED_READ =
  /\b(?:env|environment\(\))\[\s*(?!")[^\]]+\]|Deno\.env\.get\(\s*(?!")|Deno\.env\.toObject/g;
/** `${NAME}` or `${NAME:-default}` in docker-compose.yml. */
const COMPOSE_READ = new RegExp(String.raw`\$\{(${NAME})(?::?[-?][^}]*)?\}`, "g");

/** The environment variables `source` reads by name. */
export function variablesReadIn(source: string): string[] {
  const names = [READER_CALL, PROPERTY_READ, KEYED_READ].flatMap((pattern) =>
    [...source.matchAll(pattern)].map((match) => match[1] ?? match[2]!)
  );
  return [...new Set(names)].sort();
}

/** Every environment variable the code reads, with the files that read it; docker-compose.yml's own included. */
export function variablesRead(): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  const add = (name: string, file: string) => readers.set(name, [...readers.get(name) ?? [], file]);
  for (const file of codeFiles()) for (const name of variablesReadIn(read(file))) add(name, file);
  for (const [, name] of read("docker-compose.yml").matchAll(COMPOSE_READ)) add(name!, "docker-compose.yml");
  return readers;
}

/** A Prometheus metric the code defines. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary";
  readonly labels: readonly string[];
  readonly file: string;
}

/** The text of the balanced `{…}` that starts at `start`, skipping strings. */
function balancedObject(source: string, start: number): string {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const char = source[i]!;
    if (char === '"' || char === "'" || char === "`") {
      for (i++; i < source.length && source[i] !== char; i++) if (source[i] === "\\") i++;
    } else if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`unbalanced object at ${start}`);
}

const METRIC_CONSTRUCTOR = /\bnew\s+(?:\w+\.)?(Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\(\s*\{/g;

/**
 * The metrics `source` (the file `file`) defines with `new Counter({ name, labelNames })` and the like. A name is
 * either a string literal or `names.<field>` (optionally `?? "fallback"`) of a parameter typed with an interface whose
 * constants (`: T = { … }`, anywhere in `allSources`) give the names, as lib/consume/consumer_metrics.ts builds the
 * consumers' metrics.
 */
export function metricsDefinedIn(file: string, source: string, allSources: readonly string[]): MetricDefinition[] {
  const metrics: MetricDefinition[] = [];
  for (const match of source.matchAll(METRIC_CONSTRUCTOR)) {
    const options = balancedObject(source, match.index! + match[0].length - 1);
    const type = match[1]!.toLowerCase() as MetricDefinition["type"];
    const labelList = /\blabelNames:\s*(\[[^\]]*\])?/.exec(options);
    if (labelList && !labelList[1]) throw new Error(`${file}: labelNames that are not a literal list: ${options}`);
    const labels = [...(labelList?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((label) => label[1]!);
    const literal = /\bname:\s*"([^"]+)"/.exec(options)?.[1];
    const field = /\bname:\s*(\w+)\.(\w+)\s*(?:\?\?\s*"([^"]+)"\s*)?,/.exec(options);
    if (literal) {
      metrics.push({ name: literal, type, labels, file });
    } else if (field) {
      const typeName = new RegExp(String.raw`\b${field[1]}:\s*(\w+)`).exec(source)?.[1];
      if (!typeName) throw new Error(`${file}: cannot tell the type of ${field[1]} in ${options}`);
      const constants = allSources.flatMap((text) => [
        ...text.matchAll(new RegExp(String.raw`:\s*${typeName}\s*=\s*\{([^}]*)\}`, "g")),
      ]);
      if (constants.length === 0) throw new Error(`${file}: no constant of type ${typeName} names ${field[0]}`);
      // `names.<field> ?? "fallback"`: the constants without the field share the fallback, one metric.
      const names = new Set<string>();
      for (const [, body] of constants) {
        const name = new RegExp(String.raw`\b${field[2]}:\s*"([^"]+)"`).exec(body!)?.[1] ?? field[3];
        if (!name) throw new Error(`${file}: a ${typeName} without a literal ${field[2]}: ${body}`);
        names.add(name);
      }
      for (const name of names) metrics.push({ name, type, labels, file });
    } else {
      throw new Error(`${file}: a metric whose name is neither a literal nor names.<field>: ${options}`);
    }
  }
  return metrics;
}

/** Every metric the code defines. */
export function metricsDefined(): MetricDefinition[] {
  const files = codeFiles();
  const sources = files.map(read);
  return files.flatMap((file, i) => metricsDefinedIn(file, sources[i]!, sources));
}

/** The names of deno.json's tasks. */
export function denoTasks(): string[] {
  return Object.keys(JSON.parse(read("deno.json")).tasks).sort();
}
