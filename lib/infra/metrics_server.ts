/** The per-process HTTP endpoint: Prometheus metrics on /metrics, dependency health on /healthz. */
import { errorMessage } from "./log.ts";
import type { Registry } from "prom-client";
import { type HttpServer, serveHttp } from "./runtime.ts";

/** A named dependency check; resolves when the dependency answers. */
export type HealthCheck = () => Promise<void>;

/** Starts the endpoint; /healthz answers 200 when every check passes, 503 otherwise. */
export function startMetricsServer(
  host: string,
  port: number,
  registry: Registry,
  checks: Record<string, HealthCheck>,
): Promise<HttpServer> {
  return serveHttp(host, port, async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/metrics") {
      return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
    }
    if (path === "/healthz") {
      const results = await runChecks(checks);
      const healthy = Object.values(results).every((result) => result === "ok");
      return Response.json({ status: healthy ? "ok" : "unavailable", checks: results }, {
        status: healthy ? 200 : 503,
      });
    }
    return new Response("not found\n", { status: 404 });
  });
}

async function runChecks(checks: Record<string, HealthCheck>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 2000);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, errorMessage(error)] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
