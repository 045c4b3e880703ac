/**
 * The only module that touches runtime-specific APIs (Deno, Bun, Node).
 * Everything else imports these helpers so the code runs unchanged on Deno and Bun.
 */
import process from "node:process";
import { createServer } from "node:http";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
const deno = globals.Deno;
const bun = globals.Bun;

/** Which runtime is executing this process. */
export const runtimeName: "deno" | "bun" | "node" = deno ? "deno" : bun ? "bun" : "node";

/** A snapshot of the environment variables. */
export function environment(): Record<string, string | undefined> {
  if (deno) return deno.env.toObject();
  return { ...process.env };
}

export type HttpHandler = (request: Request) => Response | Promise<Response>;

/** A running HTTP server. */
export interface HttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `handler` on hostname:port (port 0 picks a free port). */
export async function serveHttp(hostname: string, port: number, handler: HttpHandler): Promise<HttpServer> {
  if (deno) {
    const server = deno.serve({ hostname, port, onListen: () => {} }, handler);
    return { port: server.addr.port, close: () => server.shutdown() };
  }
  if (bun) {
    // development: false: no HTML error pages with stack traces for a handler that throws (Bun's default).
    // A request without a Host header (HTTP/1.0) reaches Bun's fetch with a relative url; Deno makes it absolute.
    const fetch = (request: Request) =>
      URL.canParse(request.url) ? handler(request) : handler(new Request(`http://${hostname}${request.url}`, request));
    const server = bun.serve({ hostname, port, development: false, fetch });
    return { port: server.port, close: async () => await server.stop(true) };
  }
  return await serveWithNodeHttp(hostname, port, handler);
}

function serveWithNodeHttp(hostname: string, port: number, handler: HttpHandler): Promise<HttpServer> {
  const server = createServer(async (req, res) => {
    const response = await handler(new Request(`http://${hostname}${req.url ?? "/"}`, { method: req.method }));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(await response.text());
  });
  return new Promise((resolve) => {
    server.listen(port, hostname, () => {
      const address = server.address();
      const boundPort = typeof address === "object" && address ? address.port : port;
      resolve({ port: boundPort, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

/**
 * Runs `handler` on a five-field UTC cron schedule until `signal` aborts.
 * A run still going at the next tick makes that tick skip (Deno.cron's rule, kept on every runtime).
 */
export function scheduleCron(name: string, schedule: string, handler: () => Promise<void>, signal: AbortSignal): void {
  if (deno?.cron) {
    deno.cron(name, schedule, { backoffSchedule: [], signal }, handler);
    return;
  }
  if (bun?.cron) {
    if (signal.aborted) return;
    // Measured on Bun 1.4.5: the time zone option is `tz` (an unknown one such as `timezone` is ignored
    // and the schedule runs in local time); Bun awaits the handler and skips the ticks that fall during a
    // run, like Deno.cron; but a handler that rejects ends the process, where Deno.cron logs and goes on.
    const job = bun.cron(schedule, async () => {
      try {
        await handler();
      } catch (error) {
        console.error(`Exception in cron handler ${name}`, error);
      }
    }, { tz: "UTC" });
    signal.addEventListener("abort", () => job.stop(), { once: true });
    return;
  }
  throw new Error(`No cron scheduler on ${runtimeName}`);
}

/** Calls `onSignal` once on the first SIGINT or SIGTERM. */
export function onShutdownSignal(onSignal: (signal: string) => void): void {
  let fired = false;
  const fire = (signal: string) => {
    if (fired) return;
    fired = true;
    onSignal(signal);
  };
  if (deno) {
    for (const signal of ["SIGINT", "SIGTERM"]) deno.addSignalListener(signal, () => fire(signal));
    return;
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => fire(signal));
}

/** Ends the process with `code`. */
export function exit(code: number): never {
  if (deno) deno.exit(code);
  process.exit(code);
}

/** Command-line arguments after the script name. */
export function commandArgs(): string[] {
  if (deno) return [...deno.args];
  return process.argv.slice(2);
}
