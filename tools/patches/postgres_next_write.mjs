// Applied by `npm install` (postinstall): postgres 3.4.9 throws an uncatchable TypeError from nextWrite() when
// a connection closes with a small write still scheduled (porsager/postgres#1066, #1154, #1208; fix proposed
// in #1168 and #1209, not released). It took the archiver down when PostgreSQL restarted under it. The guard
// rejects the pending queries with CONNECTION_CLOSED instead, as closed() does, so callers retry.
// Idempotent; fails when the driver's code is no longer the one this guards, so an upgrade is reviewed.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const UNGUARDED = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
const GUARDED = `  function nextWrite(fn) {
    if (!socket) { // baggage-router: tools/patches/postgres_next_write.mjs
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;

for (const flavour of ["src", "cjs/src", "cf/src"]) {
  const file = `node_modules/postgres/${flavour}/connection.js`;
  if (!existsSync(file)) continue;
  const code = readFileSync(file, "utf8");
  if (code.includes(GUARDED)) continue;
  if (!code.includes(UNGUARDED)) {
    console.error(
      `${file}: nextWrite() is not the code tools/patches/postgres_next_write.mjs guards; review the patch`,
    );
    process.exit(1);
  }
  writeFileSync(file, code.replace(UNGUARDED, GUARDED));
}
