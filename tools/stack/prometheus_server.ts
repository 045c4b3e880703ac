/**
 * The stack's Prometheus without Docker: Debian's `prometheus` (and `prometheus-redis-exporter` for the
 * stack's Redis, as its `default` user with STACK_REDIS_ADMIN_PASSWORD when set), installed with apt-get
 * when missing and allowed, scraping the local processes on their default metrics ports with the same
 * job names and alert rules as the compose Prometheus.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { EnvReader } from "../../lib/infra/config.ts";
import { isServiceName, PROCESSES, type ServiceName } from "../../lib/processes.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { runningPid, startDetached, stopRecorded } from "./daemons.ts";
import { onPath, runSync } from "../processes.ts";
import type { StackSettings } from "./settings.ts";

/** The alert rules both Prometheus setups load. */
export const ALERT_RULES_FILE = fileURLToPath(new URL("../../observability/alerts.yml", import.meta.url));

/** What the generated scrape configuration needs. */
export interface ScrapeOptions {
  /** Seconds between scrapes and between rule evaluations. */
  readonly intervalSeconds: number;
  /** Where Prometheus itself listens (scraped as job "prometheus"). */
  readonly prometheusAddress: string;
  /** The redis_exporter's host:port (job "redis"), if one runs. */
  readonly redisExporterAddress?: string;
  /** host:port of each process, by service name (the job name). */
  readonly services: Readonly<Record<ServiceName, string>>;
  readonly rulesFile: string;
}

/** The scrape configuration for local processes (JSON, which is YAML to Prometheus). */
export function scrapeConfig(options: ScrapeOptions): string {
  const interval = `${options.intervalSeconds}s`;
  const job = (name: string, target: string, labels: Record<string, string> = {}) => ({
    job_name: name,
    static_configs: [{ targets: [target], labels }],
  });
  const config = {
    global: {
      scrape_interval: interval,
      scrape_timeout: interval,
      evaluation_interval: interval,
      external_labels: { system: "baggage-router" },
    },
    rule_files: [options.rulesFile],
    scrape_configs: [
      job("prometheus", options.prometheusAddress),
      ...(options.redisExporterAddress ? [job("redis", options.redisExporterAddress)] : []),
      ...Object.entries(options.services).map(([service, address]) =>
        // A process that only runs on demand may be absent without alerting (TargetDown ignores optional="true").
        job(service, address, isOnDemand(service) ? { optional: "true" } : {})
      ),
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Whether `service` runs only when someone starts it (not in `deno task dev`). */
function isOnDemand(service: string): boolean {
  return isServiceName(service) && !PROCESSES[service].inDev;
}

/** Every process at localhost on its default metrics port (8001-8006). */
export function localServiceAddresses(host = "localhost"): Record<ServiceName, string> {
  return Object.fromEntries(
    Object.entries(PROCESSES).map(([service, process]) => [service, `${host}:${process.metricsPort}`]),
  ) as Record<ServiceName, string>;
}

/** Reads STACK_PROMETHEUS_PORT (9090), STACK_REDIS_EXPORTER_PORT (9121) and STACK_SCRAPE_INTERVAL_SECONDS (5). */
export function loadPrometheusSettings(env: Record<string, string | undefined> = environment()) {
  const r = new EnvReader(env);
  const settings = {
    port: r.integer("STACK_PROMETHEUS_PORT", 9090, 1, 65535),
    redisExporterPort: r.integer("STACK_REDIS_EXPORTER_PORT", 9121, 1, 65535),
    scrapeIntervalSeconds: r.integer("STACK_SCRAPE_INTERVAL_SECONDS", 5, 1, 300),
  };
  if (r.valid("STACK_PROMETHEUS_PORT", "STACK_REDIS_EXPORTER_PORT") && settings.port === settings.redisExporterPort) {
    r.fail("STACK_REDIS_EXPORTER_PORT", "must differ from STACK_PROMETHEUS_PORT", String(settings.redisExporterPort));
  }
  r.assertValid("Cannot start Prometheus");
  return Object.freeze(settings);
}

export type PrometheusSettings = ReturnType<typeof loadPrometheusSettings>;

const files = (settings: StackSettings) => ({
  dir: join(settings.dir, "prometheus"),
  data: join(settings.dir, "prometheus", "data"),
  config: join(settings.dir, "prometheus", "prometheus.yml"),
  log: join(settings.dir, "prometheus", "prometheus.log"),
  pid: join(settings.dir, "prometheus", "prometheus.pid"),
  exporterLog: join(settings.dir, "prometheus", "redis_exporter.log"),
  exporterPid: join(settings.dir, "prometheus", "redis_exporter.pid"),
  exporterPasswords: join(settings.dir, "prometheus", "redis_passwords.json"),
});

/** Makes sure `command` is installed, installing Debian's `debianPackage` when running as root. */
export function ensureDebianCommand(command: string, debianPackage: string): void {
  if (!onPath(command)) installDebianPackage(debianPackage, `${command} is not installed`);
}

/** Installs Debian's `debianPackage` (without recommends) with apt-get, which needs root; else throws `why`. */
export function installDebianPackage(debianPackage: string, why: string): void {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath("apt-get")) {
    throw new Error(`${why}. Install it (Debian/Ubuntu: sudo apt-get install ${debianPackage}) and retry.`);
  }
  console.error(`stack: installing ${debianPackage} with apt-get…`);
  runSync("sh", [
    "-c",
    `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${debianPackage}`,
  ]);
}

/** Makes sure Debian's `prometheus` (which brings `promtool`) is installed. */
export function ensurePrometheusInstalled(): void {
  ensureDebianCommand("prometheus", "prometheus");
}

/** Makes sure Debian's redis_exporter is installed. */
export function ensureRedisExporterInstalled(): void {
  ensureDebianCommand("prometheus-redis-exporter", "prometheus-redis-exporter");
}

/**
 * Starts the redis_exporter for the stack's Redis and Prometheus (each unless its recorded process
 * runs), with a config generated for the processes on localhost:8001-8006; waits until both answer.
 */
export async function startPrometheus(
  settings: StackSettings,
  prometheus: PrometheusSettings = loadPrometheusSettings(),
): Promise<{ url: string }> {
  const f = files(settings);
  const timeoutMs = settings.startTimeoutSeconds * 1000;
  const exporterAddress = `127.0.0.1:${prometheus.redisExporterPort}`;
  const address = `127.0.0.1:${prometheus.port}`;
  mkdirSync(f.data, { recursive: true });
  if (runningPid(f.exporterPid) === undefined) {
    ensureRedisExporterInstalled();
    await assertPortFree(prometheus.redisExporterPort, "STACK_REDIS_EXPORTER_PORT");
    const redisUrl = `redis://127.0.0.1:${settings.redisPort}`;
    const args = ["-redis.addr", redisUrl, "-web.listen-address", exporterAddress];
    if (settings.redisAdminPassword !== undefined) {
      // A file readable by us only, so the password shows neither in `ps` nor in the environment.
      writeFileSync(f.exporterPasswords, JSON.stringify({ [redisUrl]: settings.redisAdminPassword }), { mode: 0o600 });
      args.push("-redis.password-file", f.exporterPasswords);
    }
    startDetached("prometheus-redis-exporter", args, f.exporterLog, f.exporterPid);
  }
  if (runningPid(f.pid) === undefined) {
    ensurePrometheusInstalled();
    await assertPortFree(prometheus.port, "STACK_PROMETHEUS_PORT");
    writeFileSync(
      f.config,
      scrapeConfig({
        intervalSeconds: prometheus.scrapeIntervalSeconds,
        prometheusAddress: address,
        redisExporterAddress: exporterAddress,
        services: localServiceAddresses(),
        rulesFile: ALERT_RULES_FILE,
      }),
    );
    startDetached("prometheus", prometheusArgs(f.config, f.data, address), f.log, f.pid);
  }
  await waitFor(
    () => httpOk(`http://${exporterAddress}/health`),
    timeoutMs,
    (last) => `redis_exporter did not answer on ${exporterAddress} (${last}); read ${f.exporterLog}`,
  );
  await waitFor(
    () => httpOk(`http://${address}/-/ready`),
    timeoutMs,
    (last) => `Prometheus did not become ready on ${address} (${last}); read ${f.log}`,
  );
  return { url: `http://localhost:${prometheus.port}` };
}

/** The command-line arguments of a Prometheus serving `configFile` from `dataDir` on `address`. */
export function prometheusArgs(configFile: string, dataDir: string, address: string): string[] {
  return [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    "--storage.tsdb.retention.time=2d",
    `--web.listen-address=${address}`,
  ];
}

/** Stops the recorded Prometheus and redis_exporter. */
export async function stopPrometheus(settings: StackSettings): Promise<boolean> {
  const f = files(settings);
  const stoppedPrometheus = await stopRecorded(f.pid);
  const stoppedExporter = await stopRecorded(f.exporterPid);
  return stoppedPrometheus || stoppedExporter;
}

/** The recorded Prometheus pid when it runs. */
export function prometheusPid(settings: StackSettings): number | undefined {
  return runningPid(files(settings).pid);
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.ok;
}

/** Throws when something already listens on `port` (Debian's own prometheus service, say). */
async function assertPortFree(port: number, variable: string): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
  if (inUse) {
    throw new Error(
      `port ${port} is already in use (a system prometheus service? \`systemctl stop prometheus\`), or set ${variable}`,
    );
  }
}
