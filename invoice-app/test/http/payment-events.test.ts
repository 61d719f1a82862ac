import http from "node:http";
import type { AddressInfo } from "node:net";
import { PAYMENT_EVENTS_BATCH_PATH, PAYMENT_EVENTS_PATH, type PaymentSettled } from "@invoicing/shared/contract";
import { DEV_WEBHOOK_SECRET, WebhookSigner } from "@invoicing/shared/platform";
import { request, testStores, trpc, waitFor } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedInvoiceApp, startInvoices } from "../support.js";

const signer = new WebhookSigner(DEV_WEBHOOK_SECRET);

function settled(
  invoiceId: string,
  attempt: number,
  status: "succeeded" | "declined",
  eventId?: string,
): PaymentSettled {
  const key = `invoice:${invoiceId}:attempt:${attempt}`;
  const amounts: Record<string, [number, string]> = { I1: [1215, "EUR"], I2: [1025, "GBP"], I3: [6613, "DKK"] };
  const [amountMinor, currency] = amounts[invoiceId] ?? [1, "EUR"];
  return {
    type: "PaymentSettled",
    eventId: eventId ?? `evt_${key}_${status}`,
    occurredAt: new Date().toISOString(),
    payment: {
      id: `pay_${key}`,
      invoiceId,
      idempotencyKey: key,
      amountMinor,
      currency,
      status,
      declineReason: status === "declined" ? "insufficient funds" : null,
    },
  };
}

describe.each(testStores())("invoice-app payment events webhook on $name", (store) => {
  let invoices: StartedInvoiceApp;
  let provider: http.Server;

  // A provider that accepts every payment as processing and never settles: the test plays its events.
  beforeAll(async () => {
    provider = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        const input = JSON.parse(body) as Record<string, unknown>;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            result: {
              data: {
                ...input,
                id: `pay_${String(input.idempotencyKey)}`,
                status: "processing",
                declineReason: null,
                createdAt: new Date().toISOString(),
              },
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    invoices = await startInvoices(store, `http://127.0.0.1:${(provider.address() as AddressInfo).port}`);
    await request(invoices.url, "/invoices/pay?waitMs=0", { method: "POST" });
  });
  afterAll(async () => {
    await invoices?.stop();
    provider?.closeAllConnections();
    await new Promise((resolve) => provider?.close(resolve));
  });

  const deliver = (event: unknown, headers: Record<string, string> = {}, rawBody?: string) => {
    const body = rawBody ?? JSON.stringify(event);
    const id = (event as { eventId?: string }).eventId ?? "evt";
    return request(invoices.url, PAYMENT_EVENTS_PATH, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...signer.sign(id, body), ...headers },
    });
  };
  const status = async (id: string) => {
    const response = await trpc(invoices.url, "invoices.get", { id }, "query");
    return (response.body as { result: { data: { status: string } } }).result.data.status;
  };

  it("leaves paid invoices pending until the provider's event arrives", async () => {
    await waitFor(async () => ((await status("I1")) === "pending" ? true : undefined));
    expect(await status("I2")).toBe("pending");
  });

  it("rejects a bad signature, a stale timestamp and a missing signature with 401 and changes nothing", async () => {
    const event = settled("I1", 1, "succeeded");
    const body = JSON.stringify(event);
    const forged = new WebhookSigner("another-secret-that-is-long-enough-to-pass").sign(event.eventId, body);
    const forgedResponse = await deliver(event, forged);
    expect(forgedResponse.status, JSON.stringify(forgedResponse.body)).toBe(401);
    const stale = signer.sign(event.eventId, body, new Date(Date.now() - 10 * 60_000));
    const staleResponse = await deliver(event, stale);
    expect(staleResponse.status, `stale ${JSON.stringify(staleResponse.body)}`).toBe(401);
    const tampered = await deliver(event, signer.sign(event.eventId, body), body.replace('"succeeded"', '"declined"'));
    expect(tampered.status, `tampered ${JSON.stringify(tampered.body)}`).toBe(401);
    const unsigned = await request(invoices.url, PAYMENT_EVENTS_PATH, { method: "POST", body });
    expect(unsigned.status).toBe(401);
    expect(await status("I1")).toBe("pending");
  });

  it("applies a valid event once; a redelivery is a duplicate", async () => {
    const event = settled("I1", 1, "succeeded");
    expect(await deliver(event)).toMatchObject({ status: 200, body: { status: "applied" } });
    expect(await status("I1")).toBe("paid");
    expect(await deliver(event)).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await status("I1")).toBe("paid");
  });

  it("ignores an out-of-order event for an invoice that is already paid", async () => {
    const late = settled("I1", 1, "declined", "evt-late-decline");
    expect(await deliver(late)).toMatchObject({ status: 200, body: { status: "ignored" } });
    expect(await status("I1")).toBe("paid");
  });

  it("fails an invoice on a declined event and pays it on a later attempt, whatever order events come in", async () => {
    expect(await deliver(settled("I2", 1, "declined"))).toMatchObject({ body: { status: "applied" } });
    expect(await status("I2")).toBe("failed");
    await trpc(invoices.url, "invoices.pay", { id: "I2" });
    expect(await status("I2")).toBe("pending");
    // attempt 2 succeeds; a replayed decline of attempt 1 arrives afterwards
    expect(await deliver(settled("I2", 2, "succeeded"))).toMatchObject({ body: { status: "applied" } });
    expect(await deliver(settled("I2", 1, "declined", "evt-replayed"))).toMatchObject({ body: { status: "ignored" } });
    expect(await status("I2")).toBe("paid");
  });

  it("refuses events whose amount does not match the invoice", async () => {
    const event = settled("I3", 1, "succeeded");
    event.payment.amountMinor += 1;
    expect(await deliver(event)).toMatchObject({ status: 200, body: { status: "ignored" } });
    expect(await status("I3")).toBe("pending");
  });

  it("answers 400 for a signed body that is not a valid event", async () => {
    const response = await deliver({ eventId: "evt-x", type: "Nope" });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringMatching(/^(type|payment|occurredAt)/) });
    const mismatched = await deliver(settled("I3", 1, "succeeded"), { "webhook-id": "other" });
    expect(mismatched.status).toBe(401);
  });

  describe("with several events in one delivery", () => {
    const deliverBatch = (
      events: unknown[],
      options: { batchId?: string; signedAs?: string; secret?: string } = {},
    ) => {
      const batchId = options.batchId ?? `batch_${events.length}_${Date.now()}`;
      const body = JSON.stringify({ batchId, events });
      return request(invoices.url, PAYMENT_EVENTS_BATCH_PATH, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          ...new WebhookSigner(options.secret ?? DEV_WEBHOOK_SECRET).sign(options.signedAs ?? batchId, body),
        },
      });
    };

    it("refuses a bad signature with 401, a mismatched id or an invalid event with 400, and changes nothing", async () => {
      const event = settled("I3", 1, "succeeded");
      const forged = await deliverBatch([event], { secret: "another-secret-that-is-long-enough-to-pass" });
      expect(forged.status).toBe(401);
      const mismatched = await deliverBatch([event], { batchId: "batch_a", signedAs: "batch_b" });
      expect(mismatched).toMatchObject({
        status: 400,
        body: { error: "batchId: does not match the webhook-id header" },
      });
      const invalid = await deliverBatch([event, { ...event, payment: { ...event.payment, amountMinor: "12.15" } }]);
      expect(invalid).toMatchObject({
        status: 400,
        body: { error: expect.stringMatching(/^events\.1\.payment\.amountMinor: /) },
      });
      const empty = await deliverBatch([]);
      expect(empty).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^events: /) } });
      expect(await status("I3")).toBe("pending");
    });

    it("applies the events in order, each answered on its own", async () => {
      const paid = settled("I3", 1, "succeeded", "evt-I3-paid-in-batch");
      const lateDecline = settled("I1", 1, "declined", "evt-late-decline-in-batch");
      const response = await deliverBatch([paid, paid, lateDecline]);
      expect(response).toMatchObject({
        status: 200,
        body: { results: [{ status: "applied" }, { status: "duplicate" }, { status: "ignored" }] },
      });
      expect(await status("I3")).toBe("paid");
      expect(await status("I1")).toBe("paid");
      expect(await deliverBatch([paid])).toMatchObject({ status: 200, body: { results: [{ status: "duplicate" }] } });
    });
  });
});

describe("invoice-app during a webhook secret rotation", () => {
  const [previous, current, unknown] = ["previous", "current", "unknown"].map((name) =>
    `${name}-secret-`.padEnd(40, "x"),
  );
  let invoices: StartedInvoiceApp;
  beforeAll(async () => {
    const [store] = testStores();
    if (store === undefined) throw new Error("no test store");
    invoices = await startInvoices(store, "http://127.0.0.1:9", {
      WEBHOOK_SECRET: current as string,
      WEBHOOK_SECRET_PREVIOUS: previous as string,
    });
  });
  afterAll(() => invoices?.stop());

  it("accepts events signed with the current or the previous secret, and no other", async () => {
    const post = (secret: string, event: PaymentSettled) => {
      const body = JSON.stringify(event);
      return request(invoices.url, PAYMENT_EVENTS_PATH, {
        method: "POST",
        body,
        headers: { "content-type": "application/json", ...new WebhookSigner(secret).sign(event.eventId, body) },
      });
    };
    expect((await post(current as string, settled("I1", 1, "succeeded", "evt_current"))).status).toBe(200);
    expect((await post(previous as string, settled("I2", 1, "succeeded", "evt_previous"))).status).toBe(200);
    const refused = await post(unknown as string, settled("I3", 1, "succeeded", "evt_unknown"));
    expect(refused.status).toBe(401);
  });
});
