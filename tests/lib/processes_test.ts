/**
 * The process registry is the one list of processes: everything that lists processes derives from it
 * (the CLI, the launcher, dev, chaos) or is checked against it here (deno.json, compose, Prometheus).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { helpText } from "../../cli/help.ts";
import { denoPermissionFlags } from "../../launcher/permissions.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { PROCESSES, type ProcessSpec, type Registry, SERVICE_NAMES, taskCommand } from "../../lib/processes.ts";
import { ROLES } from "../../tools/chaos/workers.ts";
import { devCommands } from "../../tools/dev/plan.ts";
import { ROOT } from "../../tools/processes.ts";

const read = (path: string) => readFileSync(`${ROOT}${path}`, "utf8");

/** A process that exists only in this test's registry: a reader of the stream on Redis alone. */
const EXAMPLE: ProcessSpec = {
  summary: "an example reader that exists only in this test",
  entrypoint: "readers/example.ts",
  load: () => Promise.resolve(),
  metricsPort: 8099,
  needs: ["redis"],
  reads: ["work-stream"],
  writes: [],
  serves: [],
  calls: [],
  redisCluster: true,
  inDev: true,
  tooling: false,
};
const WITH_EXAMPLE: Registry = { ...PROCESSES, "example-reader": EXAMPLE };

Deno.test("a process added only to the registry appears in the CLI's --help, in `deno task dev`, and gets its permissions", () => {
  assert.match(
    helpText("0.0.0", WITH_EXAMPLE),
    /^ {2}example-reader +an example reader that exists only in this test \(metrics port 8099\)$/m,
  );
  assert.deepEqual(devCommands(WITH_EXAMPLE).at(-1), {
    name: "example-reader",
    args: [
      "run",
      "--allow-env",
      "--allow-run",
      "--allow-read=.",
      "--allow-sys=hostname",
      "launcher/launch.ts",
      "example-reader",
    ],
  });
  const config = loadConfig("tail", { METRICS_PORT: "8099" });
  assert.deepEqual(denoPermissionFlags(EXAMPLE, config), [
    "--allow-net=localhost:6379,127.0.0.1:6379,0.0.0.0:8099",
    "--allow-env",
    "--allow-sys=hostname",
    "--allow-read=/proc/self",
  ]);
});

Deno.test("the launcher lets a process reach only the servers the registry says it needs: the tail gets no Kafka", () => {
  const [tailNet] = denoPermissionFlags(PROCESSES.tail, loadConfig("tail", {}));
  assert.equal(tailNet, "--allow-net=localhost:6379,127.0.0.1:6379,0.0.0.0:8006");
  const [producerNet] = denoPermissionFlags(PROCESSES.producer, loadConfig("producer", {}));
  assert.equal(producerNet, "--allow-net=localhost:9092,127.0.0.1:9092,0.0.0.0:8004");
});

Deno.test("deno.json has a task for every process of the registry, running the launcher, and no other launcher task", () => {
  const { tasks } = JSON.parse(read("deno.json")) as { tasks: Record<string, string> };
  for (const name of SERVICE_NAMES) assert.equal(tasks[name], taskCommand(name), `deno task ${name}`);
  const launched = Object.entries(tasks).filter(([, command]) => command.includes("launcher/launch.ts"));
  assert.deepEqual(launched.map(([name]) => name), SERVICE_NAMES);
});

Deno.test("docker-compose.yml has a service for every process of the registry, running its task on its metrics port", () => {
  const compose = read("docker-compose.yml");
  for (const name of SERVICE_NAMES) {
    const service = new RegExp(`^ {2}${name}:\\n(?: {4}.*\\n|\\n)*`, "m").exec(compose)?.[0];
    assert.ok(service, `compose service ${name}`);
    assert.match(service, new RegExp(`- launcher/launch\\.ts\\n +- ${name}\\n`), `${name} runs deno task ${name}`);
    assert.match(service, new RegExp(`METRICS_PORT: "${PROCESSES[name].metricsPort}"`), `${name} metrics port`);
  }
});

Deno.test("Prometheus has a scrape job for every process of the registry, on its metrics port", () => {
  const prometheus = read("observability/prometheus.yml");
  for (const name of SERVICE_NAMES) {
    assert.match(
      prometheus,
      new RegExp(
        `- job_name: ${name}\\n +dns_sd_configs:\\n +- names: \\["${name}"\\]\\n +type: A\\n +port: ${
          PROCESSES[name].metricsPort
        }\\n`,
      ),
      `scrape job ${name}`,
    );
  }
});

Deno.test("the chaos suite runs the product's processes that dev runs: not the test producer, not the tail", () => {
  assert.deepEqual(ROLES, ["flight-consumer", "bag-consumer", "arrival-scanner", "bridge", "archiver"]);
});

Deno.test("every entrypoint of the registry exists, and the metrics ports are distinct", () => {
  for (const { entrypoint } of Object.values(PROCESSES)) {
    assert.ok(Deno.statSync(`${ROOT}${entrypoint}`).isFile, entrypoint);
  }
  const ports = Object.values(PROCESSES).map((process) => process.metricsPort);
  assert.equal(new Set(ports).size, ports.length);
});
