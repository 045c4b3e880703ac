/** PostgreSQL client factory (the `postgres` driver), its health check and which of its errors heal. */
import postgres from "postgres";
import type { Logger } from "./log.ts";

/** A connection pool of the `postgres` driver. */
export type Sql = postgres.Sql;
/** A transaction's handle (the `sql` of `begin()`). */
export type TransactionSql = postgres.TransactionSql;
export { postgres };

/**
 * Connects a pool to `url` (`max` connections). Notices (such as "relation already exists, skipping") go to
 * the debug log; a query while the server is away fails and is retried by the caller (lib/infra/retry.ts).
 */
export function connectPostgres(url: string, name: string, logger?: Logger, max = 4): Sql {
  return postgres(url, {
    max,
    connection: { application_name: name },
    onnotice: (notice) => logger?.debug({ notice: notice.message }, "postgres notice"),
    // Prepared statements are per connection; the archive's queries are few and repeated.
    prepare: true,
    idle_timeout: 60,
    connect_timeout: 10,
  });
}

/** Health check: PostgreSQL answers a query. */
export function postgresHealth(sql: Sql) {
  return async () => {
    await sql`select 1`;
  };
}

/** One query over a short-lived connection; throws when PostgreSQL does not answer. */
export async function pingPostgresOnce(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * SQLSTATE classes and codes of a server that is away, restarting, shutting down, overloaded, or of a
 * transaction that lost a race (serialization failure, deadlock): the same statement succeeds later.
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(["08", "53", "57", "58"]);
const TRANSIENT_SQLSTATES = new Set(["40001", "40P01", "55P03"]);

/**
 * Whether a driver error heals by retrying: a PostgresError by its SQLSTATE; the driver's own connection
 * errors (CONNECTION_CLOSED, CONNECT_TIMEOUT, ECONNREFUSED…) always. Undefined when `error` is not the driver's.
 */
export function postgresErrorHeals(error: unknown): boolean | undefined {
  if (error instanceof postgres.PostgresError) {
    const state = error.code;
    return TRANSIENT_SQLSTATES.has(state) || TRANSIENT_SQLSTATE_CLASSES.has(state.slice(0, 2));
  }
  return undefined;
}
