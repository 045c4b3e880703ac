/** Helpers for configuration tests: the error a loader throws, and the variables it reads. */
import assert from "node:assert/strict";
import { ConfigError } from "../../lib/infra/config.ts";

export type Env = Record<string, string>;

/** The message of the ConfigError that `load` throws. */
export function configErrorOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected a ConfigError, nothing was thrown");
}

/** The names `load` reads from the environment it is given (`base` plus nothing else). */
export function variablesRead(load: (env: Env) => unknown, base: Env = {}): string[] {
  const read = new Set<string>();
  const env = new Proxy(base, {
    get: (target, name) => {
      if (typeof name === "string") read.add(name);
      return Reflect.get(target, name);
    },
  });
  load(env);
  return [...read].sort();
}
