import { describe, expect, it } from "vitest";
import { loadConfig as loadInvoiceConfig } from "../../invoice-app/src/config.js";
import { loadConfig as loadProviderConfig } from "../../payment-provider/src/config.js";
import { ConfigError } from "../src/platform/env.js";

function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("configuration from the environment", () => {
  it("applies documented defaults", () => {
    const config = loadInvoiceConfig({});
    expect(config.PORT).toBe(8081);
    expect(config.PAYMENT_PROVIDER_URL).toBe("http://payment-provider.payments.svc.cluster.local:8082");
    expect(config.DATABASE_URL).toBeUndefined();
    expect(loadProviderConfig({}).PORT).toBe(8082);
    expect(loadProviderConfig({}).DECLINE_RATE).toBe(0);
  });

  it.each([
    [{ PORT: "abc" }, /^PORT: .*got "abc"/],
    [{ PORT: "70000" }, /^PORT: /],
    [{ PAYMENT_PROVIDER_URL: "not a url" }, /^PAYMENT_PROVIDER_URL: /],
    [{ PAYMENT_PROVIDER_URL: "ftp://x" }, /^PAYMENT_PROVIDER_URL: /],
    [{ DATABASE_URL: "mysql://db/x" }, /^DATABASE_URL: /],
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL: /],
    [{ SEED_INVOICES: "yes" }, /^SEED_INVOICES: /],
    [{ NODE_ENV: "production" }, /^DATABASE_URL: is required when NODE_ENV=production/],
  ])("names the variable in one line for %o", (env, pattern) => {
    const message = configError(() => loadInvoiceConfig(env));
    expect(message).toMatch(pattern);
    expect(message).not.toContain("\n");
  });

  it("rejects a decline rate outside 0..1 for payment-provider", () => {
    expect(configError(() => loadProviderConfig({ DECLINE_RATE: "1.5" }))).toMatch(/^DECLINE_RATE: /);
  });

  it("treats empty variables as unset", () => {
    expect(loadInvoiceConfig({ PORT: "", DATABASE_URL: "" }).PORT).toBe(8081);
  });
});
