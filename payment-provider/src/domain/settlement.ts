import { createHash } from "node:crypto";

export type SettlementDecision = { outcome: "succeeded" } | { outcome: "declined"; reason: string };

export interface SettlementPolicy {
  decide(paymentId: string): SettlementDecision;
}

/**
 * The simulated processor: declines a configurable share of payments. The decision is a pure function of the
 * seed and the payment id, so a retried settlement or another replica always reaches the same outcome.
 */
export function createSettlementPolicy(declineRate: number, seed: number): SettlementPolicy {
  return {
    decide(paymentId) {
      if (declineRate <= 0) return { outcome: "succeeded" };
      const digest = createHash("sha256").update(`${seed}:${paymentId}`).digest();
      const draw = digest.readUInt32BE(0) / 2 ** 32;
      return draw < declineRate
        ? { outcome: "declined", reason: "declined by the simulated processor" }
        : { outcome: "succeeded" };
    },
  };
}
