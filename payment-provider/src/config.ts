import { commonEnv, parseServiceEnv, port } from "@invoicing/shared/platform";
import { z } from "zod";

const PaymentProviderEnv = z.object({
  ...commonEnv,
  PORT: port(8082),
  /** Share of payments the simulated processor declines, 0..1. */
  DECLINE_RATE: z.coerce
    .number({ message: "must be a number between 0 and 1" })
    .min(0, "must be a number between 0 and 1")
    .max(1, "must be a number between 0 and 1")
    .default(0),
  /** Seed for the simulated processor's decisions, so tests can replay them. Unset: a random seed. */
  RANDOM_SEED: z.coerce.number({ message: "must be an integer" }).int("must be an integer").optional(),
});

export type PaymentProviderConfig = z.infer<typeof PaymentProviderEnv>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PaymentProviderConfig {
  return parseServiceEnv(PaymentProviderEnv, env);
}
