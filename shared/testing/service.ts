import type { Database, ServiceApp } from "../src/platform/index.js";
import type { TestStore } from "./databases.js";

export interface StartedService {
  app: ServiceApp;
  url: string;
  /** Stops the service, closes its database connection and drops the test database. */
  stop(): Promise<void>;
}

/**
 * Starts a real service on a random loopback port with a fresh database of the given store. `start` receives the
 * environment every test service shares (port 0, loopback, quiet logs, DATABASE_URL when on a server) and the
 * opened database to inject.
 */
export async function startOnFreshDatabase(
  store: TestStore,
  start: (env: Record<string, string>, db: Database) => Promise<ServiceApp>,
): Promise<StartedService> {
  const database = await store.create();
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...(database.url === undefined ? {} : { DATABASE_URL: database.url }),
  };
  const app = await start(env, await database.open());
  return {
    app,
    url: app.url,
    async stop() {
      await app.stop();
      await app.db.close();
      await database.drop();
    },
  };
}
