import assert from "node:assert/strict";
import { isWrapper, wrapperChain } from "../../launcher/parent_watch.ts";

/** `ps -o pid=,ppid=,args=` as measured under `npx deno task bag-consumer` started from an interactive bash. */
const NPX_TREE = `
  900     1 /bin/bash
 1000   900 npm exec deno task bag-consumer
 1001  1000 sh -c 'deno' task bag-consumer
 1002  1001 node /app/node_modules/.bin/deno task bag-consumer
 1003  1002 /app/node_modules/deno/deno task bag-consumer
 1004  1003 /app/node_modules/deno/deno run --ext=js -A /app/node_modules/deno/bin.cjs run --allow-env launcher/launch.ts bag-consumer
 1005  1004 /app/node_modules/deno/deno run --allow-env launcher/launch.ts bag-consumer
`;

Deno.test("wrapperChain() lists every wrapper from the parent up to the first process that is none", () => {
  assert.deepEqual(wrapperChain(NPX_TREE, 1004), [1004, 1003, 1002, 1001, 1000]);
});

Deno.test("wrapperChain() is empty when the parent is no wrapper (a container's init, deno task dev)", () => {
  assert.deepEqual(wrapperChain(NPX_TREE, 900), []);
  assert.deepEqual(wrapperChain(NPX_TREE, 1), []);
  assert.deepEqual(wrapperChain("", 1004), [], "no ps: nothing watched");
});

Deno.test("isWrapper() recognizes npx, npm, sh -c, deno task and npm's deno shim, and nothing else", () => {
  for (
    const wrapper of [
      "npm exec deno task bag-consumer",
      "npx deno task bag-consumer",
      "node /usr/lib/node_modules/npm/bin/npx-cli.js deno task bag-consumer",
      "/bin/sh -c deno task bag-consumer",
      "deno task bag-consumer",
      "/usr/local/bin/deno task bag-consumer",
      "node node_modules/.bin/deno task bag-consumer",
    ]
  ) assert.ok(isWrapper(wrapper), wrapper);
  for (
    const other of [
      "/bin/bash",
      "-bash",
      "/tini -- docker-entrypoint.sh run launcher/launch.ts bag-consumer",
      "deno run --allow-run tools/dev/dev.ts",
      "/app/node_modules/deno/deno test --allow-run",
      "/usr/lib/systemd/systemd --user",
    ]
  ) assert.ok(!isWrapper(other), other);
});
