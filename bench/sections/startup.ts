import { createDatabase, releaseNodeFlags, SERVICES, settings } from "../lib/config.js";
import { median, rssBytes, sleep } from "../lib/processes.js";
import { fmt, type Report } from "../lib/report.js";
import { startService } from "../lib/services.js";
import type { UsageLog } from "./usage.js";

const TARGET_START_MS = 500;
const TARGET_IDLE_RSS = 60 * 2 ** 20;
/** RSS right after start, once the first requests and the start-up work are done. */
const IDLE_SETTLE_MS = 3_000;
/**
 * RSS once idle has settled: about 20 s after start V8's memory reducer runs a full GC, which shrinks the heap but
 * pages in more of the node binary, so an idle pod ends up a few MB above what it had 3 s after start.
 */
const IDLE_SETTLED_MS = 30_000;

/** RSS of a started service 3 s after ready and once idle has settled. */
async function idleRss(pid: number, readyAt: number): Promise<{ early: number; settled: number }> {
  await sleep(Math.max(0, readyAt + IDLE_SETTLE_MS - performance.now()));
  const early = rssBytes(pid);
  await sleep(Math.max(0, readyAt + IDLE_SETTLED_MS - performance.now()));
  return { early, settled: rssBytes(pid) };
}

/**
 * 3. Start to ready of each release bundle (spawn to the first 200 from /readyz) and idle RSS, on PostgreSQL (a
 * migrated database, as a restarted pod finds it; the first start that applies the migrations is shown apart) and on
 * PGlite (in memory, as `npm run dev` runs it).
 */
export async function startupSection(report: Report, usage: UsageLog): Promise<void> {
  const area = "3 Start and memory";
  for (const service of SERVICES) {
    const flags = releaseNodeFlags(service);
    const how = flags.length === 0 ? "node" : `node ${flags.join(" ")}`;
    if (settings.databaseUrl !== undefined) {
      const database = await createDatabase(settings.databaseUrl, service.replace("-", "_"));
      try {
        const first = await startService(service, { databaseUrl: database.url });
        await first.running.stop();
        const times: number[] = [];
        let idle = { early: 0, settled: 0 };
        for (let run = 0; run < settings.startRuns; run++) {
          const started = await startService(service, { databaseUrl: database.url });
          const readyAt = performance.now();
          times.push(started.readyMs);
          if (run === settings.startRuns - 1) idle = await idleRss(started.running.pid, readyAt);
          await started.running.stop();
        }
        usage.idleRss.set(service, idle.settled);
        report.check(
          area,
          `${service} start→ready (PostgreSQL)`,
          median(times),
          fmt.ms,
          { below: TARGET_START_MS, label: "< 500 ms" },
          `median of ${times.length} starts of \`${how} dist/main.js\`: ${times.map((t) => Math.round(t)).join(", ")} ms; ` +
            `the first start, which applied the migrations, took ${Math.round(first.readyMs)} ms`,
        );
        report.check(
          area,
          `${service} idle RSS (PostgreSQL)`,
          idle.settled,
          fmt.mb,
          { below: TARGET_IDLE_RSS, label: "< 60 MB" },
          `${IDLE_SETTLED_MS / 1000} s after ready; ${fmt.mb(idle.early)} ${IDLE_SETTLE_MS / 1000} s after ready`,
        );
        if (flags.length > 0) {
          const plain: number[] = [];
          let rss = 0;
          for (let run = 0; run < settings.startRuns; run++) {
            const started = await startService(service, { databaseUrl: database.url, nodeFlags: [] });
            plain.push(started.readyMs);
            if (run === settings.startRuns - 1) {
              await sleep(IDLE_SETTLE_MS);
              rss = rssBytes(started.running.pid);
            }
            await started.running.stop();
          }
          report.info(
            area,
            `${service} without ${flags.join(" ")}: start / idle RSS`,
            `${fmt.ms(median(plain))} / ${fmt.mb(rss)}`,
            `the same bundle started with plain \`node\`, for comparison (RSS ${IDLE_SETTLE_MS / 1000} s after ready)`,
          );
        }
      } catch (error) {
        report.error(area, `${service} start→ready (PostgreSQL)`, error);
      } finally {
        await database.drop();
      }
    }
    try {
      const times: number[] = [];
      let idle = { early: 0, settled: 0 };
      for (let run = 0; run < settings.startRuns; run++) {
        const started = await startService(service);
        const readyAt = performance.now();
        times.push(started.readyMs);
        if (run === settings.startRuns - 1) idle = await idleRss(started.running.pid, readyAt);
        await started.running.stop();
      }
      if (!usage.idleRss.has(service)) usage.idleRss.set(service, idle.settled);
      report.check(
        area,
        `${service} start→ready (PGlite)`,
        median(times),
        fmt.ms,
        { below: TARGET_START_MS, label: "< 500 ms" },
        `median of ${times.length} starts, in-memory PGlite loaded from the cached empty cluster (WebAssembly) and migrated: ${times.map((t) => Math.round(t)).join(", ")} ms`,
      );
      report.check(
        area,
        `${service} idle RSS (PGlite)`,
        idle.settled,
        fmt.mb,
        { below: TARGET_IDLE_RSS, label: "< 60 MB" },
        `${IDLE_SETTLED_MS / 1000} s after ready; ${fmt.mb(idle.early)} ${IDLE_SETTLE_MS / 1000} s after ready`,
      );
    } catch (error) {
      report.error(area, `${service} start→ready (PGlite)`, error);
    }
  }
}

/** CPU and RSS under the loads the other sections applied. */
export function loadUsageRows(report: Report, usage: UsageLog, expectedPhase: string): void {
  const area = "3 Start and memory";
  for (const service of SERVICES) {
    const entries = usage.of(service);
    if (entries.length === 0) continue;
    const expected = usage.of(service, expectedPhase);
    if (expected.length > 0) {
      report.info(
        area,
        `${service} CPU under load: p50 / peak`,
        `${fmt.cores(usage.cpuP50(service, expectedPhase))} / ${fmt.cores(Math.max(...expected.flatMap((e) => e.usage.cpu)))}`,
        `${expectedPhase}, 250 ms samples from /proc/<pid>/stat (1000m = one core)`,
      );
      report.info(
        area,
        `${service} RSS under load: p50 / peak`,
        `${fmt.mb(usage.rssP50(service, expectedPhase))} / ${fmt.mb(Math.max(...expected.map((e) => e.usage.rssPeak)))}`,
        expectedPhase,
      );
    }
    const others = entries.filter((entry) => entry.phase !== expectedPhase);
    if (others.length > 0) {
      const peakCpu = Math.max(...others.flatMap((e) => e.usage.cpu));
      const peakRss = Math.max(...others.map((e) => e.usage.rssPeak));
      report.info(
        area,
        `${service} peak CPU / RSS, other loads`,
        `${fmt.cores(peakCpu)} / ${fmt.mb(peakRss)}`,
        [...new Set(others.map((e) => e.phase))].join(", "),
      );
    }
  }
}
