/**
 * The narrowest Deno permissions a process needs, derived from its configuration:
 * network to the configured Kafka brokers, Redis and metrics address only; no file access but
 * /proc/self (prom-client's process metrics); the host name (pino reads it at start-up).
 *
 * The environment stays fully readable: ioredis' `debug` dependency lists every variable at import,
 * which Deno only allows with an unrestricted --allow-env.
 */
import { COMMANDS } from "../cli/commands.ts";
import type { Config, ServiceName } from "../lib/config.ts";

/** The entrypoint of each process (from the command table the binary uses too). */
export const ENTRYPOINTS = Object.fromEntries(
  Object.entries(COMMANDS).map(([service, command]) => [service, command.entrypoint]),
) as Record<ServiceName, string>;

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

/**
 * The `deno run` flags for `config.service`. Kafka brokers are reached at the addresses they advertise:
 * list every broker of a cluster in KAFKA_BROKERS.
 */
export function denoPermissionFlags(config: Config): string[] {
  const addresses = [...config.kafka.brokers, redisAddress(config.redisUrl)].flatMap(withLoopbackAliases);
  const metrics = config.metrics.port === 0 ? config.metrics.host : `${config.metrics.host}:${config.metrics.port}`;
  const net = new Set([...addresses, metrics]);
  return [
    `--allow-net=${[...net].join(",")}`,
    "--allow-env",
    "--allow-sys=hostname",
    "--allow-read=/proc/self",
  ];
}
