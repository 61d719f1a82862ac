import type { Mismatch } from "./compare.js";

/** Thrown by contract checks; its message is the readable report. */
export class ContractMismatchError extends Error {
  override name = "ContractMismatchError";
}

export function formatMismatches(mismatches: readonly Mismatch[], indent = "    "): string {
  return mismatches.map((mismatch) => `${indent}${mismatch.path}: ${mismatch.problem}`).join("\n");
}

/** Throws a readable report unless there is nothing to report. */
export function assertNoMismatches(title: string, mismatches: readonly Mismatch[]): void {
  if (mismatches.length > 0) {
    throw new ContractMismatchError(`${title}: ${mismatches.length} difference(s)\n${formatMismatches(mismatches)}`);
  }
}

export interface Candidate {
  readonly name: string;
  readonly mismatches: readonly Mismatch[];
}

/** Differences in values count first: a schema issue usually restates one (a renamed field is missing twice). */
const distance = (candidate: Candidate): [number, number] => [
  candidate.mismatches.filter((mismatch) => !mismatch.problem.startsWith("schema:")).length,
  candidate.mismatches.length,
];

/** The candidate with the fewest differences (the interaction the consumer most likely meant). */
export function closest(candidates: readonly Candidate[]): Candidate | undefined {
  return candidates.reduce<Candidate | undefined>((best, candidate) => {
    if (best === undefined) return candidate;
    const [values, total] = distance(candidate);
    const [bestValues, bestTotal] = distance(best);
    return values < bestValues || (values === bestValues && total < bestTotal) ? candidate : best;
  }, undefined);
}

/** What a consumer sent, next to the closest interaction and how it differs. */
export function unmatchedReport(request: string, sent: string, candidates: readonly Candidate[]): string {
  const best = closest(candidates);
  const lines = [
    `${request} matches no interaction`,
    `  sent: ${sent.length > 2_000 ? `${sent.slice(0, 2_000)}...` : sent}`,
  ];
  if (best === undefined) {
    lines.push("  no interaction is declared for this request");
  } else {
    lines.push(`  closest interaction: "${best.name}" (${best.mismatches.length} difference(s))`);
    lines.push(formatMismatches(best.mismatches));
    const others = candidates.filter((candidate) => candidate !== best).map((candidate) => `"${candidate.name}"`);
    if (others.length > 0) lines.push(`  also compared: ${others.join(", ")}`);
  }
  return lines.join("\n");
}
