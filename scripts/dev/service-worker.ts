// One life of a service in the dev loop: a worker thread that imports the service's current sources, starts it on
// the database the main thread keeps open (scripts/dev/database-bridge.ts), and stops it when told to.
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import type { Database, ServiceApp, ServiceDefinition } from "@invoicing/shared/platform";
import { remoteDatabase } from "./database-bridge.js";

export interface ServiceWorkerData {
  /** file: URL of the service's src/service.ts. */
  entry: string;
  databasePort: MessagePort;
  databaseKind: Database["kind"];
  /** How long a stopping service may keep connections open (SSE streams) before they are cut. */
  stopGraceMs: number;
}

export type ServiceWorkerMessage = { type: "ready" } | { type: "failed"; message: string };

const data = workerData as ServiceWorkerData;
const send = (message: ServiceWorkerMessage) => parentPort?.postMessage(message);

let app: ServiceApp | undefined;
try {
  const module = (await import(data.entry)) as {
    service?: ServiceDefinition<{ LOG_LEVEL: string; SHUTDOWN_TIMEOUT_MS: number }>;
  };
  const service = module.service;
  if (typeof service?.start !== "function")
    throw new Error(`${data.entry} does not export a service made with defineService`);
  const config = service.loadConfig();
  app = await service.start(config, { db: remoteDatabase(data.databasePort, data.databaseKind) });
  send({ type: "ready" });
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  send({ type: "failed", message });
}

parentPort?.on("message", async (message: unknown) => {
  if (message !== "stop") return;
  if (app !== undefined) {
    const cut = setTimeout(() => app?.server.closeAllConnections(), data.stopGraceMs);
    await app.stop().finally(() => clearTimeout(cut));
  }
  parentPort?.postMessage({ type: "stopped" });
});
