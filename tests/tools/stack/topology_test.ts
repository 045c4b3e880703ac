import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStackArgs, recordedTopology, recordTopology, UsageError } from "../../../tools/stack/topology.ts";

Deno.test("parseStackArgs() takes the command and --topology in either spelling, status by default", () => {
  assert.deepEqual(
    [[], ["down"], ["up", "--topology", "cluster"], ["up", "--topology=single"]].map(parseStackArgs),
    [{ command: "status" }, { command: "down" }, { command: "up", topology: "cluster" }, {
      command: "up",
      topology: "single",
    }],
  );
});

Deno.test("parseStackArgs() throws a UsageError for an unknown topology or stray arguments", () => {
  const messages = [["up", "--topology", "multi"], ["up", "--topology"], ["up", "--nodes", "3"], [
    "up",
    "--topology",
    "cluster",
    "x",
  ]].map((args) => {
    try {
      parseStackArgs(args);
      return "parsed";
    } catch (error) {
      assert.ok(error instanceof UsageError);
      return error.message;
    }
  });
  assert.deepEqual(messages, [
    "--topology must be one of single, cluster, got multi",
    'unexpected arguments "--topology"',
    'unexpected arguments "--nodes 3"',
    'unexpected arguments "--topology cluster x"',
  ]);
});

Deno.test("recordedTopology() reads what recordTopology() wrote, undefined before, and rejects anything else", () => {
  const dir = mkdtempSync(join(tmpdir(), "stack-topology-"));
  try {
    assert.equal(recordedTopology(dir), undefined);
    recordTopology(dir, "cluster");
    assert.equal(recordedTopology(dir), "cluster");
    writeFileSync(join(dir, "topology"), "mesh\n");
    assert.throws(() => recordedTopology(dir), {
      message: `${join(dir, "topology")} says "mesh", not single or cluster`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
