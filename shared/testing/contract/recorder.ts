import { ContractMismatchError } from "./diff.js";

/**
 * What the contract mocks saw during one test: the interactions they answered and a readable report for every
 * request that matched none. Mocks answer such requests with an error too, but a consumer may swallow errors
 * (retry, classify), so tests call `assertAllMatched()` to fail with the report itself.
 */
export class ContractRecorder {
  readonly matched: string[] = [];
  readonly reports: string[] = [];
  private readonly pending = new Set<Promise<void>>();

  answered(interaction: string): void {
    this.matched.push(interaction);
  }

  unmatched(report: string): void {
    this.reports.push(report);
  }

  /** Records work that finishes later (reading the body of an unhandled request). */
  track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  async assertAllMatched(): Promise<void> {
    await Promise.all(this.pending);
    if (this.reports.length > 0) {
      throw new ContractMismatchError(
        `${this.reports.length} request(s) matched no interaction\n\n${this.reports.join("\n\n")}`,
      );
    }
  }

  reset(): void {
    this.matched.length = 0;
    this.reports.length = 0;
  }
}
