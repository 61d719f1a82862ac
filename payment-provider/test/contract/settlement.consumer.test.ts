import { INVOICE_APP_INTERACTIONS } from "@invoicing/shared/contract";
import { restInteractionHandlers, testStores, trpc, waitFor } from "@invoicing/shared/testing";
import { http, passthrough } from "msw";
import { describe, expect, it } from "vitest";
import { contractMockServer, INVOICE_APP_URL, startProviderDeliveringToMock } from "./support.js";

const { server, recorder } = contractMockServer();

const settledAs = (status: "succeeded" | "declined") => {
  const found = INVOICE_APP_INTERACTIONS.find(
    (interaction) => !("raw" in interaction.request) && interaction.name.startsWith(`PaymentSettled ${status}`),
  );
  if (found === undefined) throw new Error(`no PaymentSettled ${status} interaction`);
  return found;
};

// The whole consumer path: payments.create -> settlement job -> event outbox -> WebhookSender -> wire.
describe.each(testStores())("payment-provider's settlement emits the contract's event on $name", (store) => {
  it.each([
    ["succeeded", "0"],
    ["declined", "1"],
  ] as const)("when a payment is %s", async (status, declineRate) => {
    const interaction = settledAs(status);
    const provider = await startProviderDeliveringToMock(store, { DECLINE_RATE: declineRate });
    try {
      server.use(
        http.all(`${provider.url}/*`, () => passthrough()),
        ...restInteractionHandlers(INVOICE_APP_URL, [interaction], recorder),
      );
      const input = { idempotencyKey: "invoice:I1:attempt:1", invoiceId: "I1", amountMinor: 1215, currency: "EUR" };
      expect((await trpc(provider.url, "payments.create", input)).status).toBe(200);
      await waitFor(async () => (recorder.matched.length + recorder.reports.length > 0 ? true : undefined), {
        what: "the PaymentSettled delivery",
      });
      await recorder.assertAllMatched();
      expect(recorder.matched).toEqual([interaction.name]);
    } finally {
      await provider.stop();
    }
  });
});
