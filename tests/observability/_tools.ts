/**
 * Helpers of the observability tests: running commands, reading YAML (with the python3-yaml that
 * Debian's docker-compose depends on), Prometheus' HTTP API, and the metric names in PromQL.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CommandResult, runCommand } from "../../tools/processes.ts";
import { installDebianPackage } from "../../tools/stack/prometheus_server.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `command` to completion in the repository root, feeding `stdin` when given. */
export function run(command: string, args: string[], stdin?: string): Promise<CommandResult> {
  return runCommand(command, args, stdin === undefined ? {} : { stdin });
}

/** Debian's Python (the one docker-compose runs on), not another python3 that may come first on PATH. */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
let yamlReady = false;
/** Makes sure Python can import yaml (Debian's python3-yaml, a dependency of docker-compose). */
function ensurePythonYaml(): void {
  if (yamlReady) return;
  const probe = new Deno.Command(PYTHON, { args: ["-c", "import yaml"], stdout: "null", stderr: "null" });
  if (!probe.outputSync().success) installDebianPackage("python3-yaml", "python3 cannot import yaml");
  yamlReady = true;
}

/** Parses YAML text into plain data. */
export async function parseYaml(text: string): Promise<unknown> {
  ensurePythonYaml();
  const script = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)";
  const result = await run(PYTHON, ["-c", script], text);
  if (result.code !== 0) throw new Error(`YAML did not parse: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** One series of an instant query's answer. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** Evaluates `expr` now through Prometheus' HTTP API (/api/v1/query). */
export async function instantQuery(baseUrl: string, expr: string): Promise<Sample[]> {
  const response = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await response.json();
  if (body.status !== "success") throw new Error(`${expr}: ${body.errorType}: ${body.error}`);
  const { resultType, result } = body.data;
  if (resultType === "scalar") return [{ metric: {}, value: Number(result[1]) }];
  if (resultType !== "vector") throw new Error(`${expr}: unexpected result type ${resultType}`);
  return result.map((series: { metric: Record<string, string>; value: [number, string] }) => ({
    metric: series.metric,
    value: Number(series.value[1]),
  }));
}

/** The names of all metrics Prometheus has stored. */
export async function storedMetricNames(baseUrl: string): Promise<Set<string>> {
  const response = await fetch(`${baseUrl}/api/v1/label/__name__/values`);
  const body = await response.json();
  return new Set(body.data as string[]);
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"]);

/** The metric names a PromQL expression reads (not functions, keywords, labels or durations). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\boffset\s+-?[0-9a-z]+/gi, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}
