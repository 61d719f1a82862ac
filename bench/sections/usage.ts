import type { Service } from "../lib/config.js";
import { median, percentile, type Usage } from "../lib/processes.js";

export interface UsageEntry {
  service: Service;
  phase: string;
  usage: Usage;
}

/** CPU and RSS of the services under each load the bench applied, for the report and the resource sizing. */
export class UsageLog {
  readonly entries: UsageEntry[] = [];
  readonly idleRss = new Map<Service, number>();

  record(service: Service, phase: string, usage: Usage): void {
    this.entries.push({ service, phase, usage });
  }

  of(service: Service, phase?: string): UsageEntry[] {
    return this.entries.filter((entry) => entry.service === service && (phase === undefined || entry.phase === phase));
  }

  peakRss(service: Service): number {
    return Math.max(0, ...this.of(service).map((entry) => entry.usage.rssPeak));
  }

  /** Median of the per-interval CPU samples (cores) during one phase. */
  cpuP50(service: Service, phase: string): number {
    return median(this.of(service, phase).flatMap((entry) => entry.usage.cpu));
  }

  rssP50(service: Service, phase: string): number {
    return median(this.of(service, phase).flatMap((entry) => entry.usage.rss));
  }

  /** 95th percentile of the CPU samples under every load. */
  cpuP95(service: Service): number {
    return percentile(
      this.of(service).flatMap((entry) => entry.usage.cpu),
      95,
    );
  }
}
