// The dev loop's database link between threads: the main thread owns the open Database (it outlives every reload),
// the service runs in a worker thread (thrown away on every reload) and reaches the database through a MessagePort.
// Transactions and dedicated connections stay open on the main thread until the worker ends them; a worker that
// goes away mid-transaction has it rolled back.
import type { MessagePort } from "node:worker_threads";
import type { Database, Queryable, SqlParam } from "@invoicing/shared/platform";

type Scope = "transaction" | "connection";

type BridgeRequest =
  | { id: number; op: "query"; sql: string; params: readonly SqlParam[]; scope?: number }
  | { id: number; op: "exec"; sql: string; scope?: number }
  | { id: number; op: "open"; scope: Scope }
  | { id: number; op: "close"; scope: number; commit: boolean };

type BridgeReply =
  | { id: number; ok: true; rows?: unknown[]; scope?: number }
  | { id: number; ok: false; error: { name: string; message: string; code?: string; detail?: string } };

class RolledBack extends Error {}

/** Main thread: answers one worker's requests against `db` until the port closes. */
export function serveDatabase(db: Database, port: MessagePort): void {
  const scopes = new Map<number, { queryable: Queryable; end(commit: boolean): Promise<void> }>();
  let nextScope = 0;
  /** The worker is gone: nothing may stay open on its behalf, including scopes that open from now on. */
  let closed = false;

  const open = (kind: Scope) =>
    new Promise<number>((resolve, reject) => {
      const id = ++nextScope;
      let finish: (commit: boolean) => void = () => {};
      const decided = new Promise<boolean>((resolveDecision) => {
        finish = resolveDecision;
      });
      const run = async (queryable: Queryable) => {
        if (closed) throw new RolledBack();
        scopes.set(id, {
          queryable,
          end: (commit) => {
            finish(commit);
            return ended;
          },
        });
        resolve(id);
        if (!(await decided)) throw new RolledBack();
      };
      const ended: Promise<void> = (kind === "transaction" ? db.transaction(run) : db.withConnection(run))
        .catch((error: unknown) => {
          if (!(error instanceof RolledBack)) throw error;
        })
        .finally(() => scopes.delete(id));
      ended.catch(reject);
    });

  const target = (scope: number | undefined): Queryable => {
    if (scope === undefined) return db;
    const open = scopes.get(scope);
    if (open === undefined) throw new Error(`database scope ${scope} is not open`);
    return open.queryable;
  };

  async function answer(request: BridgeRequest): Promise<BridgeReply> {
    if (closed) throw new Error("the worker that sent this request is gone");
    switch (request.op) {
      case "query":
        return { id: request.id, ok: true, rows: await target(request.scope).query(request.sql, request.params) };
      case "exec":
        await target(request.scope).exec(request.sql);
        return { id: request.id, ok: true };
      case "open":
        return { id: request.id, ok: true, scope: await open(request.scope) };
      case "close": {
        const scope = scopes.get(request.scope);
        if (scope === undefined) throw new Error(`database scope ${request.scope} is not open`);
        await scope.end(request.commit);
        return { id: request.id, ok: true };
      }
    }
  }

  const reply = (message: BridgeReply) => {
    if (!closed) port.postMessage(message);
  };
  port.on("message", (request: BridgeRequest) => {
    answer(request)
      .then(reply, (error: unknown) => {
        const { name, message, code, detail } = (error instanceof Error ? error : new Error(String(error))) as Error & {
          code?: string;
          detail?: string;
        };
        reply({
          id: request.id,
          ok: false,
          error: {
            name,
            message,
            ...(code === undefined ? {} : { code }),
            ...(detail === undefined ? {} : { detail }),
          },
        });
      })
      .catch(() => {}); // the port closed while answering: the worker is gone anyway
  });
  port.on("close", () => {
    closed = true;
    for (const scope of scopes.values()) void scope.end(false).catch(() => {});
  });
}

/** Worker thread: a Database whose statements run on the main thread's connection. */
export function remoteDatabase(port: MessagePort, kind: Database["kind"]): Database {
  const waiting = new Map<number, { resolve(reply: BridgeReply & { ok: true }): void; reject(error: Error): void }>();
  let nextId = 0;
  port.on("message", (reply: BridgeReply) => {
    const pending = waiting.get(reply.id);
    if (pending === undefined) return;
    waiting.delete(reply.id);
    if (reply.ok) pending.resolve(reply);
    else pending.reject(Object.assign(new Error(reply.error.message), reply.error));
  });

  // Distributes over the union, so each request keeps its own fields.
  type Unsent<R> = R extends { id: number } ? Omit<R, "id"> : never;
  const call = (request: Unsent<BridgeRequest>) =>
    new Promise<BridgeReply & { ok: true }>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve, reject });
      port.postMessage({ ...request, id });
    });

  const queryable = (scope?: number): Queryable => ({
    query: async (sql, params = []) =>
      (await call({ op: "query", sql, params, ...(scope === undefined ? {} : { scope }) })).rows ?? [],
    exec: async (sql) => {
      await call({ op: "exec", sql, ...(scope === undefined ? {} : { scope }) });
    },
  });

  const within =
    (kindOfScope: Scope) =>
    async <T>(fn: (scoped: Queryable) => Promise<T>): Promise<T> => {
      const { scope } = await call({ op: "open", scope: kindOfScope });
      if (scope === undefined) throw new Error("database bridge opened no scope");
      let result: T;
      try {
        result = await fn(queryable(scope));
      } catch (error) {
        await call({ op: "close", scope, commit: false }).catch(() => {});
        throw error;
      }
      await call({ op: "close", scope, commit: true });
      return result;
    };

  return {
    kind,
    ...queryable(),
    transaction: within("transaction"),
    withConnection: within("connection"),
    // The main thread owns the database: a reload must not close it.
    close: async () => {},
  };
}
