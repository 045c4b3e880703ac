/**
 * The documentation stays true to the code: README.md and docs/ name every environment variable, metric and task
 * the code has, and nothing the code lacks; every link, path and anchor they give resolves. Needs no servers:
 * `npx deno test --allow-read tests/docs/`.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import {
  codeFiles,
  COMPUTED_READ,
  denoTasks,
  metricsDefined,
  metricsDefinedIn,
  read,
  ROOT,
  variablesRead,
  variablesReadIn,
} from "./code_facts.ts";
import { anchors, codeSpans, fencedLines, linkTargets, section, tables } from "./markdown.ts";

const DOCS = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`);
const PAGES = ["README.md", ...DOCS.sort()];

/** `| variable | default | meaning |` tables: a first cell of variable names in backticks, nothing else. */
const NAMES_CELL = /^`[A-Z][A-Z0-9_]*`(?:,\s*`[A-Z][A-Z0-9_]*`)*$/;
const namesIn = (cell: string) => [...cell.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]!);
const configurationTables = (page: string) => tables(read(page)).filter((table) => table.header[0] === "variable");

/** What docs/configuration.md documents: each variable with the line of its row. */
function documentedVariables(): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const table of configurationTables("docs/configuration.md")) {
    table.rows.forEach((row, i) => {
      for (const name of namesIn(row[0]!)) rows.set(name, [...rows.get(name) ?? [], table.line + 2 + i]);
    });
  }
  return rows;
}

const difference = <T>(a: Iterable<T>, b: Set<T> | Map<T, unknown>) => [...a].filter((x) => !b.has(x)).sort();

Deno.test("docs/configuration.md documents every environment variable the code reads, and no other", () => {
  const read = variablesRead();
  const documented = documentedVariables();
  const missing = difference(read.keys(), documented).map((name) => `${name} (read in ${read.get(name)!.join(", ")})`);
  assert.deepEqual(missing, [], "read by the code but not in a table of docs/configuration.md");
  assert.deepEqual(difference(documented.keys(), read), [], "in docs/configuration.md but read by no code");
});

Deno.test("every configuration table is in docs/configuration.md: one row per variable, names only in its first cell", () => {
  for (const page of PAGES.filter((page) => page !== "docs/configuration.md")) {
    assert.deepEqual(configurationTables(page).map((table) => table.line), [], `${page} has a table of variables`);
  }
  const tablesHere = configurationTables("docs/configuration.md");
  assert.ok(tablesHere.length > 0);
  for (const table of tablesHere) {
    assert.deepEqual(table.header, ["variable", "default", "meaning"], `table at line ${table.line}`);
    for (const row of table.rows) {
      assert.match(row[0]!, NAMES_CELL, `a first cell of variable names only: ${row.join(" | ")}`);
      assert.equal(row.length, 3, `three cells: ${row.join(" | ")}`);
      assert.ok(row[1]!.length > 0 && row[2]!.length > 0, `a default and a meaning: ${row.join(" | ")}`);
    }
  }
  const repeated = [...documentedVariables()].filter(([, lines]) => lines.length > 1);
  assert.deepEqual(repeated, [], "a variable documented on two rows");
});

/** Names written like variables that are not this project's: what they are. */
const NOT_OUR_VARIABLES: Record<string, string> = {
  DENORT_BIN: "deno compile's runtime base (docs/binaries.md)",
  DENO_DIR: "Deno's cache, passed through by the chaos suite to its workers (tools/chaos/feed.ts)",
  NO_COLOR: "the colour switch, passed through the same way",
};
const VARIABLE_TOKEN = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/** The project's error codes (`ErrorCode` in lib/infra/errors.ts), which are written like variables too. */
function errorCodes(): string[] {
  const union = /type ErrorCode =([^;]*);/.exec(read("lib/infra/errors.ts"))?.[1] ?? "";
  return [...union.matchAll(/"([A-Z][A-Z0-9_]*)"/g)].map((match) => match[1]!);
}

Deno.test("a variable named in README.md or docs/ is one the code reads, an error code, or listed as not ours", () => {
  const known = new Set([...variablesRead().keys(), ...errorCodes(), ...Object.keys(NOT_OUR_VARIABLES)]);
  for (const page of PAGES) {
    const text = read(page);
    const named = [...codeSpans(text), ...fencedLines(text)].flatMap((span) => span.match(VARIABLE_TOKEN) ?? []);
    assert.deepEqual(difference(new Set(named), known), [], `${page} names variables no code reads`);
  }
});

Deno.test("the code reads variables by a computed name only in EnvReader and the chaos suite's pass-through lists", () => {
  // These forward a fixed list of the caller's variables (PATH, HOME, the stack's jar cache…) to child processes.
  const allowed = ["lib/infra/config.ts", "tools/chaos/feed.ts", "tools/chaos/stack.ts"];
  const computed = codeFiles().filter((file) => read(file).search(COMPUTED_READ) >= 0 && !allowed.includes(file));
  assert.deepEqual(computed, [], "a variable read by a computed name escapes the configuration check");
});

Deno.test("the variable extractor reads every form the code uses", () => {
  const source = [
    'r.string("A_ONE", "x"); r.integer(',
    '  "A_TWO", 1, 0); reader.oneOf("A_THREE", "a", ["a"]); r.boolean("A_FOUR", false);',
    'r.optionalString("A_FIVE"); r.number("A_SIX", 0.1, 0, 1); r.raw("A_SEVEN");',
    'if (environment().A_EIGHT !== "0") {} const x = env.A_NINE ?? env?.A_TEN ?? process.env.A_ELEVEN;',
    'env["A_TWELVE"]; Deno.env.get("A_THIRTEEN"); r.fail("NOT_READ", "rule", "v"); TEST_STACK_ENV.NOT_READ_EITHER;',
  ].join("\n");
  assert.deepEqual(
    variablesReadIn(source),
    [
      "A_EIGHT",
      "A_ELEVEN",
      "A_FIVE",
      "A_FOUR",
      "A_NINE",
      "A_ONE",
      "A_SEVEN",
      "A_SIX",
      "A_TEN",
      "A_THIRTEEN",
      "A_THREE",
      "A_TWELVE",
      "A_TWO",
    ],
  );
});

/** docs/metrics.md's table: each metric with its type and labels. */
function documentedMetrics(): Map<string, { type: string; labels: string[] }[]> {
  const metrics = new Map<string, { type: string; labels: string[] }[]>();
  for (const table of tables(read("docs/metrics.md")).filter((table) => table.header[1] === "metric")) {
    for (const row of table.rows) {
      assert.match(row[1]!, /^`[a-z_:][a-z0-9_:]*(\{[a-z_,]+\})?`(, `[a-z_:][a-z0-9_:]*(\{[a-z_,]+\})?`)*$/, row[1]);
      for (const [, name, labels] of row[1]!.matchAll(/`([a-z0-9_:]+)(?:\{([a-z_,]+)\})?`/g)) {
        const entry = { type: row[2]!, labels: labels ? labels.split(",") : [] };
        metrics.set(name!, [...metrics.get(name!) ?? [], entry]);
      }
    }
  }
  return metrics;
}

Deno.test("docs/metrics.md documents every metric the code defines, with its type and labels, and no other", () => {
  const defined = metricsDefined();
  const byName = new Map(defined.map((metric) => [metric.name, metric]));
  assert.equal(byName.size, defined.length, "a metric name defined twice");
  const documented = documentedMetrics();
  assert.deepEqual(difference(byName.keys(), documented), [], "defined in the code but not in docs/metrics.md");
  assert.deepEqual(difference(documented.keys(), byName), [], "in docs/metrics.md but defined by no code");
  for (const [name, entries] of documented) {
    const metric = byName.get(name)!;
    assert.deepEqual(entries, [{ type: metric.type, labels: [...metric.labels] }], `${name} (${metric.file})`);
  }
});

Deno.test("the metric extractor reads literal names and names built from a table of names, with a fallback name", () => {
  const helper = [
    "export const A_NAMES: Names = { noun: 'a', processed: \"a_processed_total\" };",
    'export const B_NAMES: Names = { noun: \'b\', processed: "b_processed_total", resyncs: "b_resyncs_total" };',
    "export const C_NAMES: Names = { noun: 'c', processed: \"c_processed_total\" };",
    'function make(names: Names) { return { c: new Counter({ name: names.processed, help: "x {y}", registers }),',
    '  g: new Gauge({ name: "a_lag", help: "lag", labelNames: ["topic", "partition"] }),',
    '  r: new Counter({ name: names.resyncs ?? "resyncs_total", help: "r", registers }) }; }',
  ].join("\n");
  assert.deepEqual(metricsDefinedIn("x.ts", helper, [helper]), [
    { name: "a_processed_total", type: "counter", labels: [], file: "x.ts" },
    { name: "b_processed_total", type: "counter", labels: [], file: "x.ts" },
    { name: "c_processed_total", type: "counter", labels: [], file: "x.ts" },
    { name: "a_lag", type: "gauge", labels: ["topic", "partition"], file: "x.ts" },
    { name: "resyncs_total", type: "counter", labels: [], file: "x.ts" },
    { name: "b_resyncs_total", type: "counter", labels: [], file: "x.ts" },
  ]);
  assert.throws(() => metricsDefinedIn("x.ts", "new Counter({ name: prefix + '_total' })", []), /neither a literal/);
});

/** A metric named in prose: with labels, or with a counter's, histogram's or timestamp's suffix. */
const METRIC_SPAN = /^([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(\{[^}]*\})?$/;
const looksLikeMetric = (name: string, labels: string | undefined) =>
  labels !== undefined || /_(total|seconds|timestamp)$/.test(name);

Deno.test("a metric named in README.md or docs/ is one the code defines, a default metric, or an original name", () => {
  const defined = new Set(metricsDefined().map((metric) => metric.name));
  const original = tables(read("docs/metrics.md")).find((table) => table.header[0] === "original name");
  assert.ok(original, "docs/metrics.md has the table of original names");
  const formerNames = new Set(original.rows.map((row) => row[0]!.replaceAll("`", "")));
  for (const page of PAGES) {
    const unknown = codeSpans(read(page)).flatMap((span) => {
      const [, name, labels] = METRIC_SPAN.exec(span) ?? [];
      if (!name || !looksLikeMetric(name, labels)) return [];
      const known = defined.has(name) || formerNames.has(name) || /^(process|nodejs)_/.test(name);
      return known ? [] : [span];
    });
    assert.deepEqual(unknown, [], `${page} names metrics the code does not define`);
  }
});

Deno.test("every deno.json task appears in the docs as `deno task <name>`, and every one they name exists", () => {
  const tasks = denoTasks();
  const named = new Set(PAGES.flatMap((page) => [...read(page).matchAll(/\bdeno task ([\w:-]+)/g)].map((m) => m[1]!)));
  assert.deepEqual(difference(tasks, named), [], "tasks of deno.json the docs never name");
  assert.deepEqual(difference(named, new Set(tasks)), [], "tasks the docs name that deno.json lacks");
});

/** Links that leave the repository: a clone may not have what they point to, so they are listed, not resolved. */
const OUTSIDE_LINKS = ["../shared/seed/SYSTEM.md"];

Deno.test("every relative link of README.md and docs/ points to an existing file, and its #anchor to a heading there", () => {
  for (const page of PAGES) {
    for (const target of linkTargets(read(page))) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path === "" ? page : normalize(join(dirname(page), path));
      if (relative(ROOT, join(ROOT, file)).startsWith("..")) {
        assert.ok(OUTSIDE_LINKS.includes(target), `${page}: ${target} leaves the repository`);
        continue;
      }
      assert.ok(existsSync(join(ROOT, file)), `${page}: ${target} (no ${file})`);
      if (anchor !== undefined) assert.ok(anchors(read(file)).has(anchor), `${page}: ${target} (no such heading)`);
    }
  }
});

/** The repository's source folders (and those it had before the restructure, so a stale path fails). */
const SOURCE_ROOTS = "lib|workers|bridge|readers|cli|launcher|tools|lua|observability|tests|docs|bench|chaos|stack|dev";
const SOURCE_PATH = new RegExp(String.raw`^(?:${SOURCE_ROOTS})/[\w./-]*$`);

/** The source paths `text` names in code spans and code blocks (globs and placeholders such as `<date>` left out). */
function sourcePaths(text: string): string[] {
  const words = [...codeSpans(text), ...fencedLines(text).flatMap((line) => line.split(/\s+/))];
  return [...new Set(words.filter((word) => SOURCE_PATH.test(word)))];
}

Deno.test("every source path README.md and docs/ name exists", () => {
  for (const page of PAGES) {
    const missing = sourcePaths(read(page)).filter((path) => !existsSync(join(ROOT, path)));
    assert.deepEqual(missing, [], `${page} names paths that do not exist`);
  }
});

/** The numbered list after the line that starts with `intro`, in the README's architecture section: its paths. */
function messagePath(architecture: string, intro: string): string[] {
  const after = architecture.slice(architecture.indexOf(intro));
  const list = /\n\n((?:\d+\. .*\n?)+)/.exec(after)?.[1] ?? "";
  return [...list.matchAll(/^\d+\. `([^`]+)`/gm)].map((match) => match[1]!);
}

/** Whether `file` leads to `target`: imports it, or calls a Lua script by name (`"upsert_flights"`, `.upsert_flights`). */
function leadsTo(file: string, target: string): boolean {
  const source = read(file);
  const script = /^lua\/(\w+)\.lua$/.exec(target)?.[1];
  if (script && new RegExp(String.raw`["'.]${script}\b(?!\.lua)`).test(source)) return true;
  return [...source.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"/g)]
    .some((match) => normalize(join(dirname(file), match[1]!)) === target);
}

Deno.test("the README's architecture names, in order and in at most eight files, the path of a flight and of a work message", () => {
  const architecture = section(read("README.md"), "Architecture");
  const missing = sourcePaths(architecture).filter((path) => !existsSync(join(ROOT, path)));
  assert.deepEqual(missing, [], "paths of the architecture section that do not exist");
  const paths = [
    { intro: "A flight message", from: "workers/flight_consumer.ts", to: "lua/upsert_flights.lua" },
    { intro: "A work message", from: "bridge/bridge.ts", to: "lua/append_work_entries.lua" },
  ];
  for (const { intro, from, to } of paths) {
    const files = messagePath(architecture, intro);
    assert.ok(files.length >= 2 && files.length <= 8, `${intro}: ${files.length} files`);
    assert.equal(files[0], from, intro);
    assert.equal(files.at(-1), to, intro);
    files.forEach((file, i) => {
      assert.ok(existsSync(join(ROOT, file)), `${intro}: ${file} does not exist`);
      // In order: each file is reached from one named before it, by an import or (a script) by its name.
      if (i > 0) {
        assert.ok(
          files.slice(0, i).some((before) => leadsTo(before, file)),
          `${intro}: nothing before leads to ${file}`,
        );
      }
    });
  }
});

Deno.test("README.md is a front page of at most 200 lines that keeps CI's test command", () => {
  const readme = read("README.md");
  assert.ok(readme.trimEnd().split("\n").length <= 200, `${readme.trimEnd().split("\n").length} lines`);
  assert.match(read(".ci/run"), /^npx deno task test\b/m);
  assert.match(readme, /^npm install && npx deno task test\b/m);
  assert.match(readme, /^npm install && npx deno task dev\b/m);
});
