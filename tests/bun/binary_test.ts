import assert from "node:assert/strict";
import packageJson from "../../package.json" with { type: "json" };
import denoJson from "../../deno.json" with { type: "json" };
import { PROCESSES } from "../../lib/processes.ts";
import { helpText, PRODUCER_VARIABLES, SERVICE_VARIABLES } from "../../cli/help.ts";
import { dataset, runFlow, runProducer } from "./flow.ts";
import { binaryLauncher, runToEnd } from "./processes.ts";

/**
 * Builds the binary with `deno task binary`'s command line into a fresh folder outside the repository, runs
 * `test` with its path and that folder, and deletes the folder.
 */
async function withBinary(test: (binary: string, folder: string) => Promise<void>): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "baggage-router-binary-" });
  try {
    const binary = `${folder}/baggage-router`;
    const [command, ...args] = denoJson.tasks.binary.replace("dist/baggage-router", binary).split(" ");
    const build = await runToEnd(command!, args);
    assert.equal(build.code, 0, build.stderr);
    await test(binary, folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

Deno.test("the binary's --help lists every command and environment variable, --version prints package.json's version", async () => {
  await withBinary(async (binary, folder) => {
    const version = await runToEnd(binary, ["--version"], folder);
    assert.deepEqual(version, { code: 0, stdout: `baggage-router ${packageJson.version}\n`, stderr: "" });

    const help = await runToEnd(binary, ["--help"], folder);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, `${helpText(packageJson.version)}\n`, "the same text as from source");
    for (const command of Object.keys(PROCESSES)) assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
    for (const variable of [...SERVICE_VARIABLES, ...PRODUCER_VARIABLES]) {
      assert.match(help.stdout, new RegExp(`^  (\\w+, )*${variable}\\b`, "m"), `${variable} listed`);
    }
    assert.match(help.stdout, /^ {2}KAFKA_BROKERS +comma-separated host:port list \(default: localhost:9092\)$/m);

    const wrong = await runToEnd(binary, ["flight-consumers"], folder);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^Usage: baggage-router <flight-consumer\|bag-consumer\|/);
  });
});

Deno.test("the binary runs the whole flow from a folder without the sources: same work items, tail and producer run", async () => {
  await withBinary(async (binary, folder) => {
    const launcher = binaryLauncher(binary, folder);
    const t = Math.floor(Date.now() / 1000);
    assert.deepEqual(await runFlow(launcher, t, 18130), dataset(t).items);
    const { report, flights } = await runProducer(launcher, 18140);
    assert.equal(report.completed, true);
    assert.deepEqual(flights.length, 5);
  });
});
