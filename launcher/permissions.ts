/**
 * The narrowest Deno permissions a process needs, derived from the registry and its configuration:
 * network to the servers the registry says it needs (the configured Kafka brokers, Redis) and its metrics
 * address only; no file access but /proc/self (prom-client's process metrics); the host name (pino reads
 * it at start-up).
 *
 * The environment stays fully readable: ioredis' `debug` dependency lists every variable at import,
 * which Deno only allows with an unrestricted --allow-env.
 */
import type { Config } from "../lib/infra/config.ts";
import type { ProcessSpec, Server } from "../lib/processes.ts";

/** `host:port` of a Redis URL (default port 6379). */
function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "6379"}`;
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
  redis: (config) => [redisAddress(config.redisUrl)],
};

/**
 * The `deno run` flags for `process` configured by `config`. Kafka brokers are reached at the addresses
 * they advertise: list every broker of a cluster in KAFKA_BROKERS.
 */
export function denoPermissionFlags(process: Pick<ProcessSpec, "needs">, config: Config): string[] {
  const addresses = process.needs.flatMap((server) => SERVER_ADDRESSES[server](config)).flatMap(withLoopbackAliases);
  const metrics = config.metrics.port === 0 ? config.metrics.host : `${config.metrics.host}:${config.metrics.port}`;
  const net = new Set([...addresses, metrics]);
  return [
    `--allow-net=${[...net].join(",")}`,
    "--allow-env",
    "--allow-sys=hostname",
    "--allow-read=/proc/self",
  ];
}

/** `["run", <flags>…, <entrypoint>]`: how the launcher runs `process`, with `extraFlags` before the entrypoint. */
export function launchArgs(
  process: Pick<ProcessSpec, "needs" | "entrypoint">,
  config: Config,
  extraFlags: readonly string[] = [],
): string[] {
  return ["run", ...denoPermissionFlags(process, config), ...extraFlags, process.entrypoint];
}
