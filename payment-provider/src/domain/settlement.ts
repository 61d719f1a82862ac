export type SettlementDecision = { outcome: "succeeded" } | { outcome: "declined"; reason: string };

export interface SettlementPolicy {
  decide(): SettlementDecision;
}

/** The simulated processor: declines a configurable share of payments, reproducibly for a given seed. */
export function createSettlementPolicy(declineRate: number, seed: number): SettlementPolicy {
  const random = mulberry32(seed);
  return {
    decide: () =>
      declineRate > 0 && random() < declineRate
        ? { outcome: "declined", reason: "declined by the simulated processor" }
        : { outcome: "succeeded" },
  };
}

// Small, well-known seeded PRNG; statistical quality is ample for simulating declines.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
