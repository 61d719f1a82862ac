export type Verdict = "pass" | "miss" | "info" | "skipped" | "error";

export interface Row {
  area: string;
  measure: string;
  measured: string;
  target: string;
  verdict: Verdict;
  /** Why: shown under the table for misses, skips and errors. */
  note?: string;
}

export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];

  add(row: Row): void {
    this.rows.push(row);
  }

  /** A figure checked against a target: at least (>=) or below (<). */
  check(
    area: string,
    measure: string,
    value: number,
    format: (value: number) => string,
    target: { atLeast?: number; below?: number; label: string },
    note?: string,
  ): void {
    const ok =
      Number.isFinite(value) &&
      (target.atLeast === undefined || value >= target.atLeast) &&
      (target.below === undefined || value < target.below);
    this.add({
      area,
      measure,
      measured: Number.isFinite(value) ? format(value) : "n/a",
      target: target.label,
      verdict: ok ? "pass" : "miss",
      ...(note === undefined ? {} : { note }),
    });
  }

  info(area: string, measure: string, measured: string, note?: string): void {
    this.add({ area, measure, measured, target: "", verdict: "info", ...(note === undefined ? {} : { note }) });
  }

  skipped(area: string, measure: string, target: string, reason: string): void {
    this.add({ area, measure, measured: "-", target, verdict: "skipped", note: reason });
  }

  error(area: string, measure: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.add({ area, measure, measured: "error", target: "", verdict: "error", note: message.split("\n")[0] ?? "" });
  }

  render(): string {
    const header = { area: "Area", measure: "Measure", measured: "Measured", target: "Target", verdict: "Result" };
    const all = [header, ...this.rows];
    const width = (key: keyof typeof header) => Math.max(...all.map((row) => row[key].length));
    const widths = {
      area: width("area"),
      measure: width("measure"),
      measured: width("measured"),
      target: width("target"),
      verdict: width("verdict"),
    };
    const line = (row: typeof header) =>
      `| ${row.area.padEnd(widths.area)} | ${row.measure.padEnd(widths.measure)} | ${row.measured.padStart(widths.measured)} | ${row.target.padEnd(widths.target)} | ${row.verdict.padEnd(widths.verdict)} |`;
    const rule = `|${"-".repeat(widths.area + 2)}|${"-".repeat(widths.measure + 2)}|${"-".repeat(widths.measured + 1)}:|${"-".repeat(widths.target + 2)}|${"-".repeat(widths.verdict + 2)}|`;
    const out = [line(header), rule, ...this.rows.map(line)];
    const notes = this.rows
      .filter((row) => row.note !== undefined && row.note !== "")
      .map((row) => `- ${row.area} / ${row.measure} (${row.verdict}): ${row.note}`);
    if (notes.length > 0) out.push("", ...notes);
    if (this.notes.length > 0) out.push("", ...this.notes.map((note) => `- ${note}`));
    return out.join("\n");
  }
}

export const fmt = {
  rps: (value: number) => `${Math.round(value).toLocaleString("en-US")} req/s`,
  ms: (value: number) => (value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`),
  ratio: (value: number) => value.toFixed(2),
  mb: (value: number) => `${(value / 2 ** 20).toFixed(1)} MB`,
  bytes: (value: number) => `${(value / 1024).toFixed(1)} KB`,
  perSecond: (value: number) => `${Math.round(value).toLocaleString("en-US")} /s`,
  cores: (value: number) => `${Math.round(value * 1000)}m`,
  seconds: (value: number) => `${value.toFixed(value >= 100 ? 0 : 1)} s`,
};
