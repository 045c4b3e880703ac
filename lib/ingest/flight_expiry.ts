/**
 * When Redis forgets a flight known only from baggage messages, one no schedule has come for: the retention
 * (DATA_RETENTION_SECONDS) after the end of the day its id names (`BA0282-2026-02-05`), as for a scheduled flight
 * after its arrival. An id without a date is kept the retention from now.
 */
const DATED_ID = /-(\d{4})-(\d{2})-(\d{2})$/;
const DAY_SECONDS = 86_400;

/** The Unix time (seconds) at which flight `id`, unscheduled, expires. */
export function flightExpiry(id: string, retentionSeconds: number, nowSeconds = Date.now() / 1000): number {
  const date = DATED_ID.exec(id);
  const dayEnd = date ? Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!) / 1000 + DAY_SECONDS : undefined;
  return Math.ceil(Math.max(dayEnd ?? nowSeconds, nowSeconds) + retentionSeconds);
}
