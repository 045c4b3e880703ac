import assert from "node:assert/strict";
import { dataset, runFlow, runProducer } from "./flow.ts";
import { bunLauncher, denoLauncher } from "./processes.ts";

Deno.test("flight-consumer, bag-consumer, arrival-scanner, bridge and tail under Bun put the same work items in the stream as under Deno", async () => {
  const t = Math.floor(Date.now() / 1000);
  const underDeno = await runFlow(denoLauncher, t, 18100);
  const underBun = await runFlow(bunLauncher, t, 18110);
  assert.deepEqual(underDeno, dataset(t).items);
  assert.deepEqual(underBun, underDeno);
});

Deno.test("producer under Bun publishes the same seeded dataset as under Deno", async () => {
  const underDeno = await runProducer(denoLauncher, 18120);
  const underBun = await runProducer(bunLauncher, 18121);
  assert.equal(underBun.report.completed, true);
  assert.equal(underBun.report.flights, 5);
  assert.deepEqual(underBun.flights, underDeno.flights);
  assert.equal(underBun.report.bags, underDeno.report.bags);
});
