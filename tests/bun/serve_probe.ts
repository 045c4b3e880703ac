/**
 * Run by runtime_test.ts under Deno and under Bun: serves each request's path with serveHttp() on a free port,
 * prints "listening <port>", and on SIGINT/SIGTERM closes the server, prints "stopped on <signal>" and exits 0.
 */
import { exit, onShutdownSignal, serveHttp } from "../../lib/infra/runtime.ts";

const server = await serveHttp("127.0.0.1", 0, (request) => new Response(new URL(request.url).pathname));
console.log(`listening ${server.port}`);
onShutdownSignal(async (signal) => {
  await server.close();
  console.log(`stopped on ${signal}`);
  exit(0);
});
