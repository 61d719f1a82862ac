export type SqlParam = string | number | boolean | null | Date;

export interface Queryable {
  /** Runs one statement and returns its rows, unparsed: callers validate them with a schema. */
  query(sql: string, params?: readonly SqlParam[]): Promise<unknown[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Runs fn inside BEGIN/COMMIT on one connection; any throw rolls back. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs fn on one dedicated connection (session-level locks need it). */
  withConnection<T>(fn: (connection: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Whether PostgreSQL (or PGlite) refused a statement because of the data it was given (SQLSTATE class 22, data
 * exception, or 23, integrity constraint violation), rather than because it could not run it at all.
 */
export function isDataError(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
}
