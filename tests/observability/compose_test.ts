/**
 * docker-compose.yml checked by a real compose implementation: Debian's docker-compose (1.29), whose
 * `config` validates the file against the Compose Specification schema it bundles and prints the
 * resolved model, which these tests then read. No Docker engine is needed for `config`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../lib/infra/config.ts";
import { PROCESSES, type ProcessSpec, type ServiceName } from "../../lib/processes.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { ensureDebianCommand } from "../../tools/stack/prometheus_server.ts";
import { loadStackSettings } from "../../tools/stack/settings.ts";
import { parseYaml, ROOT, run } from "./_tools.ts";

const composeMissing = (() => {
  try {
    ensureDebianCommand("docker-compose", "docker-compose");
    ensureDebianCommand("redis-server", "redis-server");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
})();
if (composeMissing) console.warn(`compose tests skipped: ${composeMissing}`);

// deno-lint-ignore no-explicit-any
type Service = Record<string, any>;
/** One compose service per process of the registry, named after it, running its task, on its metrics port. */
const WORKERS: Record<string, { task: ServiceName; port: number }> = Object.fromEntries(
  (Object.keys(PROCESSES) as ServiceName[]).map((name) => [name, { task: name, port: PROCESSES[name].metricsPort }]),
);
const INFRASTRUCTURE: Record<string, { image: string; hostPorts: string[] }> = {
  "kafka": { image: "apache/kafka:4.1.1", hostPorts: ["9094"] },
  "redis": { image: "redis:7.4.6-alpine", hostPorts: ["6379"] },
  "postgres": { image: "postgres:15.18-bookworm", hostPorts: ["5432"] },
  "redis-commander": { image: "ghcr.io/joeferner/redis-commander:0.9.0", hostPorts: ["8081"] },
  "redis-exporter": { image: "oliver006/redis_exporter:v1.74.0-alpine", hostPorts: [] },
  "prometheus": { image: "prom/prometheus:v3.5.0", hostPorts: ["9090"] },
  "grafana": { image: "grafana/grafana:12.2.0", hostPorts: ["3000"] },
};

// deno-lint-ignore no-explicit-any
let resolved: { services: Record<string, any>; volumes: Record<string, unknown> } | undefined;
/** The model `docker-compose config` resolved (validated once, then reused). */
async function composeModel() {
  if (resolved) return resolved;
  const result = await run("docker-compose", ["-f", "docker-compose.yml", "config"]);
  assert.equal(result.code, 0, `docker-compose config rejected the file:\n${result.stderr}`);
  resolved = await parseYaml(result.stdout) as typeof resolved;
  return resolved!;
}

const hostPortsOf = (service: Service): string[] =>
  (service.ports ?? []).map((port: string | { published: number }) =>
    typeof port === "string" ? port.split(":").at(-2) ?? "" : String(port.published)
  );

Deno.test({
  name: "docker-compose.yml passes `docker-compose config` and has exactly the expected services and volumes",
  ignore: composeMissing !== undefined,
  async fn() {
    const { services, volumes } = await composeModel();
    assert.deepEqual(Object.keys(services).sort(), [...Object.keys(INFRASTRUCTURE), ...Object.keys(WORKERS)].sort());
    assert.deepEqual(Object.keys(volumes).sort(), [
      "grafana-data",
      "kafka-data",
      "postgres-data",
      "prometheus-data",
      "redis-data",
    ]);
    assert.ok(services.kafka.volumes.includes("kafka-data:/var/lib/kafka/data:rw"));
    assert.ok(services.redis.volumes.includes("redis-data:/data:rw"));
    assert.ok(services.postgres.volumes.includes("postgres-data:/var/lib/postgresql/data:rw"));
    assert.ok(services.prometheus.volumes.includes("prometheus-data:/prometheus:rw"));
    assert.ok(services.grafana.volumes.includes("grafana-data:/var/lib/grafana:rw"));
  },
});

Deno.test({
  name:
    "docker-compose.yml pins images, publishes the UI ports, and gives every service a health check and restart policy",
  ignore: composeMissing !== undefined,
  async fn() {
    const { services } = await composeModel();
    for (const [name, expected] of Object.entries(INFRASTRUCTURE)) {
      assert.equal(services[name].image, expected.image, name);
      assert.deepEqual(hostPortsOf(services[name]), expected.hostPorts, `${name} host ports`);
    }
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.healthcheck?.test?.length > 0, `${name} has a health check`);
      assert.notEqual(service.healthcheck.disable, true, name);
      assert.match(service.restart, name === "tail" ? /^no$/ : /^(unless-stopped|always)$/, `${name} restart policy`);
      assert.equal(service.container_name, undefined, `${name} has no fixed container name`);
      if (service.image) assert.doesNotMatch(service.image, /:latest$|^[^:]+$/, `${name} image is pinned`);
      for (const [dependency, condition] of Object.entries(service.depends_on ?? {})) {
        assert.deepEqual(condition, { condition: "service_healthy" }, `${name} waits for ${dependency} to be healthy`);
      }
    }
    assert.deepEqual(Object.keys(services.grafana.depends_on), ["prometheus"]);
    assert.deepEqual(Object.keys(services["redis-exporter"].depends_on), ["redis"]);
  },
});

Deno.test({
  name: "docker-compose.yml's postgres has the local stack's default role, database and password, checked over TCP",
  ignore: composeMissing !== undefined,
  async fn() {
    const { services } = await composeModel();
    const defaults = loadStackSettings({ STACK_DIR: "/stack", XDG_CACHE_HOME: "/cache" });
    assert.deepEqual(services.postgres.environment, {
      POSTGRES_USER: defaults.postgresUser,
      POSTGRES_DB: defaults.postgresDb,
      POSTGRES_PASSWORD: defaults.postgresPassword,
    });
    assert.deepEqual(services.postgres.healthcheck.test, [
      "CMD",
      "pg_isready",
      "-h",
      "127.0.0.1",
      "-p",
      "5432",
      "-U",
      defaults.postgresUser,
      "-d",
      defaults.postgresDb,
    ]);
  },
});

Deno.test({
  name:
    "docker-compose.yml runs each worker like its deno.json task, on the servers it needs, health-checked on /healthz",
  ignore: composeMissing !== undefined,
  async fn() {
    const { services } = await composeModel();
    const { tasks } = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    const defaults = loadStackSettings({ STACK_DIR: "/stack", XDG_CACHE_HOME: "/cache" });
    const postgresUrl =
      `postgres://${defaults.postgresUser}:${defaults.postgresPassword}@postgres:5432/${defaults.postgresDb}`;
    const historyPort = String(loadConfig("archiver", {}).archive.historyPort);
    const boardPort = String(loadConfig("board", {}).board.port);
    for (const [name, { task, port }] of Object.entries(WORKERS)) {
      const service = services[name];
      const spec: ProcessSpec = PROCESSES[task];
      const taskArgs = (tasks[task] as string).split(/\s+/).slice(1); // after "deno"
      assert.deepEqual(service.command, taskArgs, `${name} runs \`deno task ${task}\`'s command line`);
      assert.deepEqual(service.build, { context: ROOT.replace(/\/$/, "") }, name);
      // Only the history endpoint (for tools on the host) and the board (for people) are published; every
      // other worker scales.
      const hostPorts = [
        ...(spec.serves.includes("history") ? [historyPort] : []),
        ...(spec.serves.includes("board") ? [boardPort] : []),
      ];
      assert.deepEqual(hostPortsOf(service), hostPorts, `${name} host ports`);
      if (spec.serves.includes("history")) assert.equal(service.environment.HISTORY_PORT, historyPort, name);
      if (spec.serves.includes("board")) {
        assert.equal(service.environment.BOARD_PORT, boardPort, name);
        assert.equal(service.environment.BOARD_HISTORY_URL, `http://archiver:${historyPort}`, name);
      }
      assert.equal(service.environment.METRICS_PORT, String(port), name);
      assert.equal(service.environment.METRICS_HOST, "0.0.0.0", name);
      assert.equal(service.environment.KAFKA_BROKERS, "kafka:9092", name);
      assert.equal(service.environment.REDIS_URL, "redis://redis:6379", name);
      assert.equal(service.environment.POSTGRES_URL, spec.needs.includes("postgres") ? postgresUrl : undefined, name);
      assert.deepEqual(service.expose, [String(port)], name);
      // It waits for every server it needs; for PostgreSQL only when it needs it.
      const dependencies = Object.keys(service.depends_on);
      for (const server of spec.needs) assert.ok(dependencies.includes(server), `${name} waits for ${server}`);
      assert.equal(dependencies.includes("postgres"), spec.needs.includes("postgres"), `${name} and postgres`);
      assert.match(service.healthcheck.test.join(" "), /\/healthz/, name);
    }
    assert.equal(services["arrival-scanner"].environment.SCAN_SCHEDULE, "* * * * *");
    assert.deepEqual(services.tail.profiles, ["tools"], "the tail runs only on demand");
  },
});

Deno.test({
  name: "Dockerfile builds on the official Deno image of the version package.json pins, with npm packages installed",
  fn() {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const pinned = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies.deno;
    assert.match(dockerfile, new RegExp(`^ARG DENO_VERSION=${pinned.replaceAll(".", "\\.")}$`, "m"));
    assert.match(dockerfile, /^FROM denoland\/deno:debian-\$\{DENO_VERSION\}$/m);
    assert.match(dockerfile, /^RUN deno install --prod --frozen$/m);
    assert.match(dockerfile, /^USER deno$/m);
    const cached = /^RUN deno cache --frozen (.*)$/m.exec(dockerfile)?.[1]?.split(" ") ?? [];
    for (const { entrypoint } of Object.values(PROCESSES)) {
      const folder = entrypoint.slice(0, entrypoint.lastIndexOf("/"));
      assert.ok(cached.includes(entrypoint) || cached.includes(`${folder}/*.ts`), `the image caches ${entrypoint}`);
    }
  },
});

Deno.test("the image's build context (.dockerignore) keeps every module the launcher and the entrypoints import", async () => {
  const ignored = new Set(
    readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").filter((line) => line && !line.startsWith("#")),
  );
  const entrypoints = ["launcher/launch.ts", ...Object.values(PROCESSES).map((process) => process.entrypoint)];
  const excluded = new Set<string>();
  for (const entrypoint of entrypoints) {
    const info = await run(Deno.execPath(), ["info", "--json", entrypoint]);
    assert.equal(info.code, 0, info.stderr);
    for (const { specifier } of JSON.parse(info.stdout).modules as { specifier: string }[]) {
      if (!specifier.startsWith(`file://${ROOT}`)) continue;
      const path = specifier.slice(`file://${ROOT}`.length);
      const prefixes = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
      // node_modules is installed in the image by `deno install`.
      if (prefixes.some((prefix) => ignored.has(prefix) && prefix !== "node_modules")) excluded.add(path);
    }
  }
  assert.deepEqual([...excluded], [], "modules left out of the image by .dockerignore");
  assert.ok(ignored.has("node_modules") && ignored.has(".stack") && ignored.has("tests"));
});

Deno.test({
  name: "the redis service's persistence and memory flags really apply (checked with CONFIG GET on redis-server)",
  ignore: composeMissing !== undefined,
  async fn() {
    const { services } = await composeModel();
    const [binary, ...flags] = services.redis.command as string[];
    assert.equal(binary, "redis-server");
    const dir = await Deno.makeTempDir({ prefix: "compose-redis-" });
    const socket = join(dir, "redis.sock");
    // The compose flags with a data folder of our own for /data, and a Unix socket instead of TCP.
    assert.equal(flags[flags.indexOf("--dir") + 1], "/data");
    const args = flags.map((flag, i) => (flags[i - 1] === "--dir" ? dir : flag));
    const server = new Deno.Command("redis-server", {
      args: [...args, "--port", "0", "--unixsocket", socket, "--daemonize", "no"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const cli = async (...args: string[]) => (await run("redis-cli", ["-s", socket, ...args])).stdout.trim();
    try {
      await waitFor(async () => (await cli("PING")) === "PONG", 10_000);
      assert.equal(await cli("CONFIG", "GET", "appendonly"), "appendonly\nyes");
      assert.equal(await cli("CONFIG", "GET", "appendfsync"), "appendfsync\neverysec");
      assert.equal(await cli("CONFIG", "GET", "save"), "save\n3600 1 300 100 60 10000");
      assert.equal(await cli("CONFIG", "GET", "maxmemory"), `maxmemory\n${10 * 1024 ** 3}`);
      assert.equal(await cli("CONFIG", "GET", "maxmemory-policy"), "maxmemory-policy\nnoeviction");
      await waitFor(() => Deno.statSync(join(dir, "appendonlydir")).isDirectory, 5_000);
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno.lock records every npm package of import_map.json, so the image's `deno install --frozen` succeeds", () => {
  const { imports } = JSON.parse(readFileSync(join(ROOT, "import_map.json"), "utf8")) as {
    imports: Record<string, string>;
  };
  const locked = Object.keys(JSON.parse(readFileSync(join(ROOT, "deno.lock"), "utf8")).specifiers ?? {});
  const missing = Object.values(imports).filter((specifier) =>
    specifier.startsWith("npm:") && !locked.includes(specifier)
  );
  assert.deepEqual(missing, [], "run `deno install` to update deno.lock");
});
