import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { copyServiceForDev } from "../../scripts/dev/service-copy.js";
import { createDatabase, repoRoot, settings } from "../lib/config.js";
import { freePort, httpRequest, median, rssBytes, sleep } from "../lib/processes.js";
import { fmt, type Report } from "../lib/report.js";

const TARGET_MS = 1_500;
const EDITED_FILE = "src/http/routes.ts";
const ORIGINAL = "waitMs: must be a whole number of milliseconds up to 600000";

/**
 * 4. The dev loop: `npm run dev` in a copy of invoice-app (its own src and package.json; shared and node_modules
 * linked from the repository, so the repository is never edited), then a one-line edit of a route's message is
 * saved and the time until the server answers with the new message is measured.
 */
export async function devloopSection(report: Report): Promise<void> {
  const area = "4 Dev loop";
  const stores: ("PGlite" | "PostgreSQL")[] = [
    "PGlite",
    ...(settings.databaseUrl === undefined ? [] : ["PostgreSQL" as const]),
  ];
  for (const store of stores) {
    const scratch = await mkdtemp(path.join(os.tmpdir(), "bench-devloop-"));
    const database =
      store === "PostgreSQL" && settings.databaseUrl !== undefined
        ? await createDatabase(settings.databaseUrl, "dev")
        : undefined;
    let child: ChildProcess | undefined;
    try {
      const app = await copyServiceForDev(repoRoot, "invoice-app", scratch);
      const port = await freePort();
      child = spawn("npm", ["run", "dev"], {
        cwd: app,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/tmp",
          PORT: String(port),
          HOST: "127.0.0.1",
          LOG_LEVEL: "warn",
          SEED_INVOICES: "false",
          PAYMENT_PROVIDER_URL: "http://127.0.0.1:9",
          ...(database === undefined ? {} : { DATABASE_URL: database.url }),
        },
      });
      if (child.pid !== undefined && settings.nice !== 0) {
        try {
          os.setPriority(child.pid, settings.nice); // inherited by tsx and the service it starts
        } catch {
          // not permitted
        }
      }
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-5000);
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-5000);
      });
      const url = `http://127.0.0.1:${port}/invoices/pay?waitMs=x`;
      const answers = async (text: string, timeoutMs: number) => {
        const deadline = performance.now() + timeoutMs;
        while (performance.now() < deadline) {
          try {
            const response = await httpRequest(url, { method: "POST", fresh: true, timeoutMs: 2_000 });
            if (response.body.includes(text)) return true;
          } catch {
            // restarting
          }
          await sleep(10);
        }
        return false;
      };
      if (!(await answers(ORIGINAL, 120_000))) throw new Error(`npm run dev did not come up:\n${output}`);
      const file = path.join(app, EDITED_FILE);
      const source = await readFile(file, "utf8");
      if (!source.includes(ORIGINAL)) throw new Error(`${EDITED_FILE} no longer contains the message the bench edits`);
      const times: number[] = [];
      for (let run = 1; run <= settings.devloopRuns; run++) {
        await sleep(1_000); // let the watcher settle after the previous restart
        const marker = `${ORIGINAL} [edit ${run}]`;
        const saved = performance.now();
        await writeFile(file, source.replace(ORIGINAL, marker));
        if (!(await answers(marker, 30_000))) throw new Error(`edit ${run} was not served within 30 s:\n${output}`);
        times.push(performance.now() - saved);
      }
      const rss = treeRss(child.pid ?? 0);
      report.check(
        area,
        `save → new behaviour served (${store})`,
        median(times),
        fmt.ms,
        { below: TARGET_MS, label: "< 1.5 s" },
        `median of ${times.length} edits of ${EDITED_FILE} under \`npm run dev\` (a new worker thread per save, the database kept open): ${times.map((t) => Math.round(t)).join(", ")} ms`,
      );
      report.info(
        area,
        `dev server RSS, whole process tree (${store})`,
        fmt.mb(rss),
        "npm + the dev host, its database and the service's worker",
      );
    } catch (error) {
      report.error(area, `save → new behaviour served (${store})`, error);
    } finally {
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // gone
        }
        await sleep(1_000);
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await database?.drop();
      await rm(scratch, { recursive: true, force: true });
    }
  }
}

/** RSS of a process and all its descendants. */
function treeRss(root: number): number {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const pids = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of table) {
      if (pids.has(ppid) && !pids.has(pid)) {
        pids.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of pids) {
    try {
      total += rssBytes(pid);
    } catch {
      // exited
    }
  }
  return total;
}
