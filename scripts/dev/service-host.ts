// `npm run dev -w <service>`: runs the service from its TypeScript sources and restarts it whenever a file under
// <service>/src or shared/src is saved. The service runs in a worker thread that is replaced on every save; the
// database is opened once here and stays open across restarts (scripts/dev/database-bridge.ts), so a restart costs
// only loading the code again (a few hundred ms) instead of a new process that loads embedded PostgreSQL (seconds),
// and the data survives it. Environment as for the service itself.
import { type FSWatcher, watch } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { type Database, openDatabase, type ServiceDefinition } from "@invoicing/shared/platform";
import { serveDatabase } from "./database-bridge.js";
import type { ServiceWorkerData, ServiceWorkerMessage } from "./service-worker.js";

const serviceDir = process.cwd();
const repoRoot = path.resolve(serviceDir, "..");
const entry = pathToFileURL(path.join(serviceDir, "src/service.ts")).href;
const watchedDirs = [path.join(serviceDir, "src"), path.join(repoRoot, "shared/src")];
const workerFile = new URL("./service-worker.ts", import.meta.url);
const STOP_GRACE_MS = 1_000;
const STOP_TIMEOUT_MS = 5_000;

const say = (message: string) => process.stderr.write(`[dev] ${message}\n`);

const LOADER_FLAGS = new Set(["--import", "--require", "-r", "--loader", "--experimental-loader"]);

/**
 * The flags a worker inherits: the loaders (tsx's, so it imports TypeScript too). Process-wide V8 flags such as
 * --no-memory-protection-keys, which the dev script sets because V8's JIT page tracking can abort a process that
 * runs WebAssembly (PGlite) beside worker threads on CPUs with memory protection keys, are refused by Worker.
 */
function loaderFlags(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (LOADER_FLAGS.has(flag) && i + 1 < argv.length) kept.push(flag, argv[++i] as string);
    else if ([...LOADER_FLAGS].some((name) => flag.startsWith(`${name}=`))) kept.push(flag);
  }
  return kept;
}

type DevConfig = { LOG_LEVEL: string; SHUTDOWN_TIMEOUT_MS: number } & Parameters<typeof openDatabase>[0];

let db: Database;
let name: string;
try {
  const { service } = (await import(entry)) as { service: ServiceDefinition<DevConfig> };
  const config = service.loadConfig();
  name = service.name;
  db = await openDatabase(config, name);
} catch (error) {
  // Not something a save fixes: fail the way the service itself would.
  const message = error instanceof Error ? error.message : String(error);
  const kind = error instanceof Error && error.name === "ConfigError" ? "config error" : "startup failed";
  process.stderr.write(`${kind}: ${message}\n`);
  process.exit(1);
}

interface Running {
  worker: Worker;
  port: MessagePort;
  /** Serving: asked to stop gracefully. Still starting (or hung while starting): terminated. */
  ready: boolean;
  exited: Promise<void>;
}

let current: Running | undefined;

/** Starts the service's current code in a new worker; resolves once it serves, has failed or was cut short. */
async function startService(): Promise<void> {
  const started = performance.now();
  const { port1, port2 } = new MessageChannel();
  serveDatabase(db, port1);
  const workerData: ServiceWorkerData = {
    entry,
    databasePort: port2,
    databaseKind: db.kind,
    stopGraceMs: STOP_GRACE_MS,
  };
  const worker = new Worker(workerFile, { execArgv: loaderFlags(process.execArgv), workerData, transferList: [port2] });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  const running: Running = { worker, port: port1, ready: false, exited };
  current = running;
  const outcome = await new Promise<ServiceWorkerMessage>((resolve) => {
    worker.on("message", (message: ServiceWorkerMessage) => {
      if (message.type === "ready" || message.type === "failed") resolve(message);
    });
    worker.once("error", (error) => resolve({ type: "failed", message: error.stack ?? error.message }));
    void exited.then(() => resolve({ type: "failed", message: "stopped before it was ready" }));
  });
  worker.on("error", (error) => say(`${name} crashed: ${error.stack ?? error.message}; waiting for a change`));
  running.ready = outcome.type === "ready";
  if (outcome.type === "ready") say(`${name} ready in ${Math.round(performance.now() - started)} ms`);
  else say(`${name} not running: ${outcome.message}\n[dev] waiting for a change`);
}

async function stopService(): Promise<void> {
  if (current === undefined) return;
  const { worker, port, ready, exited } = current;
  current = undefined;
  if (ready) {
    const stopped = new Promise<void>((resolve) => {
      worker.on("message", (message: { type?: string }) => {
        if (message.type === "stopped") resolve();
      });
    });
    worker.postMessage("stop");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, exited, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  await worker.terminate();
  port.close(); // rolls back whatever the old code left open
}

/** A worker still starting when it is no longer wanted (a newer save, a signal) is cut short: it may never finish. */
function abandonStart(): void {
  if (current !== undefined && !current.ready) void current.worker.terminate();
}

let restarting: Promise<void> | undefined;
let again = false;
let closingSince: number | undefined;

function restart(): void {
  if (closingSince !== undefined) return;
  if (restarting !== undefined) {
    again = true;
    abandonStart();
    return;
  }
  restarting = stopService()
    .then(startService)
    .finally(() => {
      restarting = undefined;
      if (again) {
        again = false;
        restart();
      }
    });
}

let debounce: NodeJS.Timeout | undefined;
const watchers: FSWatcher[] = watchedDirs.map((dir) =>
  watch(dir, { recursive: true }, (_event, file) => {
    if (file === null || !/\.(ts|json)$/.test(file)) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      say(`${path.relative(repoRoot, path.join(dir, file))} changed, restarting`);
      restart();
    }, 30);
  }),
);

async function shutdown(signal: string): Promise<void> {
  if (closingSince !== undefined) {
    // Ctrl-C reaches this process twice (the terminal and npm run dev both pass it on): only a later signal forces.
    if (Date.now() - closingSince > 2_000) process.exit(1);
    return;
  }
  closingSince = Date.now();
  say(`${signal}: stopping`);
  for (const watcher of watchers) watcher.close();
  clearTimeout(debounce);
  abandonStart();
  await restarting;
  await stopService();
  await db.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

await startService();
