import closeWithGrace from "close-with-grace";
import { ConfigError } from "./env.js";
import type { Logger } from "./logger.js";

export interface Stoppable {
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * Process wiring shared by every service entry point: start, then stop gracefully on SIGTERM/SIGINT
 * (a second signal or the timeout forces exit). A configuration error prints one line and exits 1.
 */
export async function runMain(start: () => Promise<Stoppable>, shutdownTimeoutMs: () => number): Promise<void> {
  let app: Stoppable;
  try {
    app = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`config error: ${error.message}\n`);
    } else {
      process.stderr.write(`startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  }
  closeWithGrace({ delay: shutdownTimeoutMs() }, async ({ signal, err }) => {
    if (err) app.logger.error({ err }, "fatal error, shutting down");
    else app.logger.info({ signal }, "shutting down");
    await app.stop();
  });
}
