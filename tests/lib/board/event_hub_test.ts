import assert from "node:assert/strict";
import { EventHub, sseEvent } from "../../../lib/board/event_hub.ts";

const decoder = new TextDecoder();
const bytes = (size: number) => new Uint8Array(size).fill(0x61);

/** Reads what `stream` has queued until it blocks or ends; returns the bytes read and whether it ended. */
async function drain(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let read = 0;
  for (;;) {
    const next = await Promise.race([reader.read(), Promise.resolve("blocked" as const)]);
    if (next === "blocked") {
      reader.releaseLock();
      return { read, ended: false };
    }
    if (next.done) return { read, ended: true };
    read += next.value.byteLength;
  }
}

Deno.test("an event is written in the text/event-stream format, with its id when it has one", () => {
  assert.equal(decoder.decode(sseEvent("flights", "[1]", "1-0")), "id: 1-0\nevent: flights\ndata: [1]\n\n");
  assert.equal(decoder.decode(sseEvent("hello", "{}")), "event: hello\ndata: {}\n\n");
});

Deno.test("every open page gets each broadcast after its first chunks", async () => {
  const hub = new EventHub(1024);
  try {
    const pages = [hub.open([bytes(10)]), hub.open([bytes(20), bytes(5)])];
    hub.broadcast(bytes(100));
    assert.equal(hub.size, 2);
    assert.deepEqual(await Promise.all(pages.map(drain)), [
      { read: 110, ended: false },
      { read: 125, ended: false },
    ]);
  } finally {
    hub.close();
  }
});

Deno.test("a whole board larger than the limit still opens, and the limit applies to what a page falls behind after it", async () => {
  let slowPages = 0;
  const hub = new EventHub(1000, { onSlowClient: () => slowPages++ });
  try {
    // 5,000 bytes of first event with a 1,000-byte limit: the page is not closed for it.
    const page = hub.open([bytes(5000)]);
    hub.broadcast(bytes(600));
    hub.broadcast(bytes(400));
    assert.equal(slowPages, 0);
    // The page has not read anything: 5,000 + 1,000 queued, one more byte is past the limit, and it is closed.
    hub.broadcast(bytes(1));
    assert.equal(slowPages, 1);
    assert.equal(hub.size, 0);
    assert.deepEqual(await drain(page), { read: 6000, ended: true });
  } finally {
    hub.close();
  }
});

Deno.test("a page that reads keeps its stream while one that stopped reading is closed, and the others go on", async () => {
  let slowPages = 0;
  const hub = new EventHub(1000, { onSlowClient: () => slowPages++ });
  try {
    const reading = hub.open([]);
    const stopped = hub.open([]);
    for (let i = 0; i < 5; i++) {
      hub.broadcast(bytes(400));
      assert.deepEqual(await drain(reading), { read: 400, ended: false });
    }
    assert.equal(slowPages, 1);
    assert.equal(hub.size, 1);
    assert.deepEqual(await drain(stopped), { read: 800, ended: true });
  } finally {
    hub.close();
  }
});

Deno.test("closing the hub ends every page's stream", async () => {
  const clients: number[] = [];
  const hub = new EventHub(1000, { onClients: (count) => clients.push(count) });
  const pages = [hub.open([bytes(3)]), hub.open([])];
  hub.close();
  assert.deepEqual(await Promise.all(pages.map(drain)), [{ read: 3, ended: true }, { read: 0, ended: true }]);
  assert.deepEqual(clients, [1, 2, 1, 0]);
});
