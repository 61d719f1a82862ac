import { createDatabase, releaseNodeFlags, SERVICES, type Service, settings } from "../lib/config.js";
import { median, rssBytes, sleep } from "../lib/processes.js";
import { fmt, type Report } from "../lib/report.js";
import { type StartOptions, startService } from "../lib/services.js";
import type { UsageLog } from "./usage.js";

const AREA = "3 Start and memory";
const TARGET_START_MS = 500;
const TARGET_IDLE_RSS = 60 * 2 ** 20;
/** RSS right after start, once the first requests and the start-up work are done. */
const IDLE_SETTLE_MS = 3_000;
/**
 * RSS once idle has settled: about 20 s after start an idle service grows by 8 to 10 MB, most of it pages of the node
 * binary, and stays there; that is what an idle pod holds.
 */
const IDLE_SETTLED_MS = 30_000;

interface Starts {
  /** Spawn to ready of each start, ms. */
  times: number[];
  /** RSS after the last start: 3 s after ready, and (when asked for) once idle has settled. */
  rss: { early: number; settled: number };
}

/** `settings.startRuns` starts of a service; RSS is read while the last one idles. */
async function measureStarts(service: Service, options: StartOptions, settle: boolean): Promise<Starts> {
  const times: number[] = [];
  const rss = { early: Number.NaN, settled: Number.NaN };
  for (let run = 0; run < settings.startRuns; run++) {
    const started = await startService(service, options);
    const readyAt = performance.now();
    times.push(started.readyMs);
    if (run === settings.startRuns - 1) {
      await sleep(Math.max(0, readyAt + IDLE_SETTLE_MS - performance.now()));
      rss.early = rssBytes(started.running.pid);
      if (settle) {
        await sleep(Math.max(0, readyAt + IDLE_SETTLED_MS - performance.now()));
        rss.settled = rssBytes(started.running.pid);
      }
    }
    await started.running.stop();
  }
  return { times, rss };
}

const listTimes = (times: number[]) => `${times.map((t) => Math.round(t)).join(", ")} ms`;

function reportIdleRss(report: Report, measure: string, rss: Starts["rss"]): void {
  report.check(
    AREA,
    measure,
    rss.settled,
    fmt.mb,
    { below: TARGET_IDLE_RSS, label: "< 60 MB" },
    `${IDLE_SETTLED_MS / 1000} s after ready; ${fmt.mb(rss.early)} ${IDLE_SETTLE_MS / 1000} s after ready`,
  );
}

/**
 * 3. Start to ready of each release bundle (spawn to the first 200 from /readyz) and idle RSS, on PostgreSQL (a
 * migrated database, as a restarted pod finds it; the first start that applies the migrations is shown apart) and on
 * PGlite (in memory, as `npm run dev` runs it).
 */
export async function startupSection(report: Report, usage: UsageLog): Promise<void> {
  for (const service of SERVICES) {
    const flags = releaseNodeFlags(service);
    const how = flags.length === 0 ? "node" : `node ${flags.join(" ")}`;
    if (settings.databaseUrl !== undefined) {
      const database = await createDatabase(settings.databaseUrl, service.replace("-", "_"));
      try {
        const first = await startService(service, { databaseUrl: database.url });
        await first.running.stop();
        const { times, rss } = await measureStarts(service, { databaseUrl: database.url }, true);
        usage.idleRss.set(service, rss.settled);
        report.check(
          AREA,
          `${service} start→ready (PostgreSQL)`,
          median(times),
          fmt.ms,
          { below: TARGET_START_MS, label: "< 500 ms" },
          `median of ${times.length} starts of \`${how} dist/main.js\`: ${listTimes(times)}; ` +
            `the first start, which applied the migrations, took ${Math.round(first.readyMs)} ms`,
        );
        reportIdleRss(report, `${service} idle RSS (PostgreSQL)`, rss);
        if (flags.length > 0) {
          const plain = await measureStarts(service, { databaseUrl: database.url, nodeFlags: [] }, false);
          report.info(
            AREA,
            `${service} without ${flags.join(" ")}: start / idle RSS`,
            `${fmt.ms(median(plain.times))} / ${fmt.mb(plain.rss.early)}`,
            `the same bundle started with plain \`node\`, for comparison (RSS ${IDLE_SETTLE_MS / 1000} s after ready)`,
          );
        }
      } catch (error) {
        report.error(AREA, `${service} start→ready (PostgreSQL)`, error);
      } finally {
        await database.drop();
      }
    }
    try {
      const { times, rss } = await measureStarts(service, {}, true);
      if (!usage.idleRss.has(service)) usage.idleRss.set(service, rss.settled);
      report.check(
        AREA,
        `${service} start→ready (PGlite)`,
        median(times),
        fmt.ms,
        { below: TARGET_START_MS, label: "< 500 ms" },
        `median of ${times.length} starts, in-memory PGlite loaded from the cached empty cluster (WebAssembly) and migrated: ${listTimes(times)}`,
      );
      reportIdleRss(report, `${service} idle RSS (PGlite)`, rss);
    } catch (error) {
      report.error(AREA, `${service} start→ready (PGlite)`, error);
    }
  }
}

/** CPU and RSS under the loads the other sections applied. */
export function loadUsageRows(report: Report, usage: UsageLog, expectedPhase: string): void {
  for (const service of SERVICES) {
    const entries = usage.of(service);
    if (entries.length === 0) continue;
    const expected = usage.of(service, expectedPhase);
    if (expected.length > 0) {
      report.info(
        AREA,
        `${service} CPU under load: p50 / peak`,
        `${fmt.cores(usage.cpuP50(service, expectedPhase))} / ${fmt.cores(Math.max(...expected.flatMap((e) => e.usage.cpu)))}`,
        `${expectedPhase}, 250 ms samples from /proc/<pid>/stat (1000m = one core)`,
      );
      report.info(
        AREA,
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
        AREA,
        `${service} peak CPU / RSS, other loads`,
        `${fmt.cores(peakCpu)} / ${fmt.mb(peakRss)}`,
        [...new Set(others.map((e) => e.phase))].join(", "),
      );
    }
  }
}
