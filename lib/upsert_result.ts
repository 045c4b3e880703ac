/** Reads the reply of the upsert scripts. */
import type { StoreResult } from "./batch_consumer.ts";

/** The upsert scripts' return code when the partition's applied offset is missing (Redis lost its data). */
export const STATE_LOST = -20;

/** Maps `{status, applied, inserted}` from upsert_flights.lua or upsert_bags.lua to a StoreResult. */
export function toStoreResult(reply: unknown): StoreResult {
  const [status, applied, inserted] = reply as [number, number, number];
  if (status === STATE_LOST) return { status: "state-lost" };
  return { status: "applied", applied, inserted };
}
