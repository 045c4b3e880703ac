/** JSON-line logs: one object per line with timestamp, level, service, message and fields. */
import pino from "pino";

export type Logger = pino.Logger;

/** Creates the process logger for `service` at `level`. */
export function createLogger(service: string, level: string = "info"): Logger {
  return pino({
    level,
    base: { service },
    messageKey: "message",
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** The message of a thrown value, for a log line's `err` field. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
