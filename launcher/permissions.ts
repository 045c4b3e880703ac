/**
 * The narrowest Deno permissions a process needs, derived from the registry and its configuration:
 * network to the servers the registry says it needs (the configured Kafka brokers, Redis, PostgreSQL), the
 * endpoints of other processes it calls, its metrics address and the endpoints it serves only; no file access but /proc/self (prom-client's process metrics); the host name (pino reads
 * it at start-up).
 *
 * The environment stays fully readable: ioredis' `debug` dependency lists every variable at import,
 * which Deno only allows with an unrestricted --allow-env.
 */
import type { Config } from "../lib/infra/config.ts";
import type { Endpoint, ProcessSpec, Server } from "../lib/processes.ts";

/** `host:port` of a Redis URL (default port 6379). */
function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "6379"}`;
}

/** `host:port` of a PostgreSQL URL (default port 5432). */
function postgresAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "5432"}`;
}

const LOOPBACK = ["localhost", "127.0.0.1"];

/** `address` plus its loopback aliases: a broker reached as localhost may advertise itself as 127.0.0.1. */
function withLoopbackAliases(address: string): string[] {
  const separator = address.lastIndexOf(":");
  const [host, port] = [address.slice(0, separator), address.slice(separator + 1)];
  return LOOPBACK.includes(host) ? LOOPBACK.map((alias) => `${alias}:${port}`) : [address];
}

/** The addresses of each server a process may need, from its configuration. */
const SERVER_ADDRESSES: Readonly<Record<Server, (config: Config) => readonly string[]>> = {
  kafka: (config) => config.kafka.brokers,
  // A cluster's nodes are those listed: the nodes it announces must be among them.
  redis: (config) =>
    config.redisCluster
      ? config.redisCluster.nodes.map(({ host, port }) => `${host}:${port}`)
      : [redisAddress(config.redisUrl)],
  postgres: (config) => [postgresAddress(config.archive.postgresUrl)],
};

/** The address each endpoint a process may serve listens on. */
const ENDPOINT_ADDRESSES: Readonly<Record<Endpoint, (config: Config) => string>> = {
  history: (config) => listenAddress(config.archive.historyHost, config.archive.historyPort),
  board: (config) => listenAddress(config.board.host, config.board.port),
};

/** `host:port` of an http(s) URL (default port 80 or 443). */
function httpAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol === "https:" ? "443" : "80")}`;
}

/** Where a process that calls an endpoint reaches it, from its configuration. */
const CALLED_ADDRESSES: Readonly<Record<Endpoint, (config: Config) => readonly string[]>> = {
  history: (config) => [httpAddress(config.board.historyUrl)],
  board: () => [],
};

/** What --allow-net needs to listen on host:port (any port when 0). */
const listenAddress = (host: string, port: number) => (port === 0 ? host : `${host}:${port}`);

/**
 * The `deno run` flags for `process` configured by `config`. Kafka brokers are reached at the addresses
 * they advertise: list every broker of a cluster in KAFKA_BROKERS.
 */
export function denoPermissionFlags(
  process: Pick<ProcessSpec, "needs" | "serves" | "calls">,
  config: Config,
): string[] {
  const addresses = [
    ...process.needs.flatMap((server) => SERVER_ADDRESSES[server](config)),
    ...process.calls.flatMap((endpoint) => CALLED_ADDRESSES[endpoint](config)),
  ].flatMap(withLoopbackAliases);
  const metrics = listenAddress(config.metrics.host, config.metrics.port);
  const endpoints = process.serves.map((endpoint) => ENDPOINT_ADDRESSES[endpoint](config));
  const net = new Set([...addresses, metrics, ...endpoints]);
  return [
    `--allow-net=${[...net].join(",")}`,
    "--allow-env",
    "--allow-sys=hostname",
    "--allow-read=/proc/self",
  ];
}

/** `["run", <flags>…, <entrypoint>]`: how the launcher runs `process`, with `extraFlags` before the entrypoint. */
export function launchArgs(
  process: Pick<ProcessSpec, "needs" | "serves" | "calls" | "entrypoint">,
  config: Config,
  extraFlags: readonly string[] = [],
): string[] {
  return ["run", ...denoPermissionFlags(process, config), ...extraFlags, process.entrypoint];
}
