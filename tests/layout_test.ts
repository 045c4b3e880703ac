/** The tree's own references: a path written in the code as a string names a file that exists. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { ROOT } from "../tools/processes.ts";

/**
 * A quoted repository-relative path of a source or configuration file, as the code passes them to children
 * (any folder name, so that a path into a folder that moved is caught too).
 */
const PATH_LITERAL = /["'`]([a-z][\w-]*\/[\w./-]+\.(?:ts|lua|yml|json|md))["'`]/g;

/** Paths that name nothing on purpose: the process that exists only in tests/lib/processes_test.ts. */
const FICTIONAL = new Set(["readers/example.ts"]);

Deno.test("every repository path the code spells out as a string (entrypoints, scripts, configs) exists", () => {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim().split("\n");
  const missing: string[] = [];
  let checked = 0;
  for (const file of files) {
    if (!existsSync(`${ROOT}${file}`)) continue;
    for (const [, path] of readFileSync(`${ROOT}${file}`, "utf8").matchAll(PATH_LITERAL)) {
      checked += 1;
      if (!existsSync(`${ROOT}${path}`) && !FICTIONAL.has(path!)) missing.push(`${file}: ${path}`);
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(checked > 20, `only ${checked} paths found: the pattern no longer matches the code`);
});
