import {
  exampleOf,
  INVOICE_APP_INTERACTIONS,
  type InvoiceAppInteraction,
  PAYMENT_EVENTS_PATH,
  PaymentSettled,
  PaymentSettledBatch,
  type PaymentSettledInteraction,
} from "@invoicing/shared/contract";
import {
  bufferedFetch,
  CONTRACT_WEBHOOK_SECRET,
  restInteractionHandlers,
  WRONG_WEBHOOK_SECRET,
} from "@invoicing/shared/testing";
import { describe, expect, it } from "vitest";
import { WebhookSender } from "../../src/events/webhook-sender.js";
import { contractMockServer, INVOICE_APP_URL } from "./support.js";

const { server, recorder } = contractMockServer();

const single = INVOICE_APP_INTERACTIONS.filter((i): i is PaymentSettledInteraction => i.path === PAYMENT_EVENTS_PATH);

/** The sender as payment-provider configures it: EVENTS_WEBHOOK_URL names the single-event path. */
function sender(interaction: InvoiceAppInteraction, path: string = PAYMENT_EVENTS_PATH): WebhookSender {
  const request = interaction.request;
  const secret =
    "raw" in request || request.signedWith !== "another secret" ? CONTRACT_WEBHOOK_SECRET : WRONG_WEBHOOK_SECRET;
  return new WebhookSender({ url: `${INVOICE_APP_URL}${path}`, secret, timeoutMs: 5_000, fetch: bufferedFetch });
}

function eventOf(interaction: PaymentSettledInteraction) {
  if ("raw" in interaction.request) throw new Error(`${interaction.name} sends no event`);
  return exampleOf(interaction.request.json);
}

/** What the interaction sends, through the sender's own entry point for it. */
function deliver(interaction: InvoiceAppInteraction): Promise<void> {
  const { request } = interaction;
  if ("raw" in request) throw new Error(`${interaction.name} sends no event`);
  if (interaction.path === PAYMENT_EVENTS_PATH) {
    return sender(interaction).deliver(PaymentSettled.parse(exampleOf<unknown>(request.json)));
  }
  return sender(interaction).deliverBatch(PaymentSettledBatch.parse(exampleOf<unknown>(request.json)).events);
}

describe("payment-provider's WebhookSender against invoice-app's payment-events contract (msw)", () => {
  it.each(INVOICE_APP_INTERACTIONS)("$name", async (interaction) => {
    server.use(...restInteractionHandlers(INVOICE_APP_URL, [interaction], recorder));
    const delivery = deliver(interaction);
    // A 2xx is delivered; anything else is a failed delivery the outbox retries.
    if (interaction.response.status < 300) await delivery;
    else await expect(delivery).rejects.toThrow(`webhook answered ${interaction.response.status}`);
    await recorder.assertAllMatched();
    expect(recorder.matched).toEqual([interaction.name]);
  });

  it("fails with a diff when the event differs from every interaction", async () => {
    server.use(...restInteractionHandlers(INVOICE_APP_URL, INVOICE_APP_INTERACTIONS, recorder));
    const [succeeded] = single;
    if (succeeded === undefined) throw new Error("no PaymentSettled interaction");
    const event = eventOf(succeeded);
    const renamed = { ...event, payment: { ...event.payment, amountMinor: 1216 } };
    await expect(sender(succeeded).deliver(renamed)).rejects.toThrow("webhook answered 501");
    await expect(recorder.assertAllMatched()).rejects.toThrow(
      `closest interaction: "${succeeded.name}" (1 difference(s))\n    body.payment.amountMinor: expected 1215, got 1216`,
    );
  });

  it("reports an event posted to a path the contract does not declare", async () => {
    server.use(...restInteractionHandlers(INVOICE_APP_URL, INVOICE_APP_INTERACTIONS, recorder));
    const [succeeded] = single;
    if (succeeded === undefined) throw new Error("no PaymentSettled interaction");
    await expect(sender(succeeded, "/webhooks/payments").deliver(eventOf(succeeded))).rejects.toThrow(
      "webhook unreachable",
    );
    await expect(recorder.assertAllMatched()).rejects.toThrow(
      `request: expected POST ${succeeded.path}, got POST /webhooks/payments`,
    );
  });
});
