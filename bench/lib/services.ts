import { entry, releaseNodeFlags, type Service, settings, WEBHOOK_SECRET } from "./config.js";
import { freePort, launch, type Running, waitReady } from "./processes.js";

export interface StartedService {
  running: Running;
  url: string;
  port: number;
  /** Spawn to first 200 from /readyz. */
  readyMs: number;
}

export interface StartOptions {
  /** PostgreSQL database for this service; undefined runs it on embedded PGlite (in memory). */
  databaseUrl?: string | undefined;
  env?: Record<string, string>;
  cpus?: string;
  /** Node flags; the release image's (Dockerfile CMD) by default. BENCH_V8_FLAGS come first: a flag both set is the image's. */
  nodeFlags?: string[];
  port?: number;
}

/** Starts a service from its release bundle as the release image runs it, and waits until it is ready. */
export async function startService(service: Service, options: StartOptions = {}): Promise<StartedService> {
  const port = options.port ?? (await freePort());
  const running = launch({
    name: service,
    command: process.execPath,
    args: [...settings.v8Flags, ...(options.nodeFlags ?? releaseNodeFlags(service)), entry(service)],
    env: {
      // production needs PostgreSQL; the embedded store only runs outside it
      NODE_ENV: options.databaseUrl === undefined ? "development" : "production",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      WEBHOOK_SECRET,
      SHUTDOWN_DRAIN_DELAY_MS: "0",
      ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
      ...options.env,
    },
    ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    nice: settings.nice,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const readyMs = await waitReady(running, url);
    return { running, url, port, readyMs };
  } catch (error) {
    await running.stop("SIGKILL");
    throw error;
  }
}
