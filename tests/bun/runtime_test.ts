import assert from "node:assert/strict";
import { waitFor } from "../../lib/infra/poll.ts";
import { testEnvironment } from "../_helpers/fixtures.ts";
import { BUN, startProcess } from "./processes.ts";

/** Runs cron_probe.ts with `command` in a time zone 5:30 from UTC; returns when it ended. */
async function probe(command: string, args: string[]) {
  const probe = startProcess(command, [...args, "tests/bun/cron_probe.ts"], testEnvironment({ TZ: "Asia/Kolkata" }));
  try {
    const scheduled = await waitFor(() => /^scheduled (\S+)$/m.exec(probe.output())![1]!, 10_000);
    await waitFor(() => /^alive$/m.test(probe.output()), 75_000, () => `${command}: ${probe.output()}`);
    assert.equal(await probe.exited, 0, probe.output());
    const fired = /^fired (\S+)$/m.exec(probe.output())![1]!;
    return { scheduled: Date.parse(scheduled), fired: Date.parse(fired), output: probe.output() };
  } finally {
    await probe.kill("SIGKILL");
  }
}

Deno.test("scheduleCron() fires a five-field schedule in UTC on Deno and on Bun, survives a failing run and stops on abort", async () => {
  const [deno, bun] = await Promise.all([probe(Deno.execPath(), ["run"]), probe(BUN, ["run"])]);
  for (const { scheduled, fired, output } of [deno, bun]) {
    assert.ok(fired >= scheduled && fired < scheduled + 5_000, output);
    assert.match(output, /Exception in cron handler probe/);
  }
});

/** Sends `request` as raw bytes to 127.0.0.1:`port` and returns the whole response. */
async function rawHttp(port: number, request: string): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  await connection.write(new TextEncoder().encode(request));
  return await new Response(connection.readable).text();
}

Deno.test("serveHttp() answers an HTTP/1.0 request without Host, and onShutdownSignal() and exit() stop the process with code 0, on Deno and on Bun", async () => {
  for (const [command, args] of [[Deno.execPath(), ["run", "--allow-net"]], [BUN, ["run"]]] as const) {
    const server = startProcess(command, [...args, "tests/bun/serve_probe.ts"], testEnvironment());
    try {
      const port = await waitFor(() => Number(/^listening (\d+)$/m.exec(server.output())![1]), 10_000);
      const response = await rawHttp(port, "GET /healthz HTTP/1.0\r\n\r\n");
      assert.match(response, /^HTTP\/1\.[01] 200 OK\r\n/, response);
      assert.ok(response.endsWith("\r\n\r\n/healthz"), response);
      assert.equal(await server.kill("SIGTERM"), 0, server.output());
      assert.match(server.output(), /^stopped on SIGTERM$/m);
    } finally {
      await server.kill("SIGKILL");
    }
  }
});
