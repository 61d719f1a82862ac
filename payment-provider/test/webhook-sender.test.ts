import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PaymentSettled } from "@invoicing/shared/contract";
import { createLogger, type Database, RetryBatchLaterError, WebhookSigner } from "@invoicing/shared/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSettlementJobs, DELIVER_QUEUE } from "../src/events/settlement-jobs.js";
import { batchIdFor, batchUrlFor, WebhookDeliveryError, WebhookSender } from "../src/events/webhook-sender.js";

const SECRET = "webhook-sender-test-secret-long-enough-for-hmac";

const event = (n: number): PaymentSettled => ({
  type: "PaymentSettled",
  eventId: `evt_pay_${n}_settled`,
  occurredAt: "2026-01-01T12:00:00.000Z",
  payment: {
    id: `pay_${n}`,
    invoiceId: `I${n}`,
    idempotencyKey: `invoice:I${n}:attempt:1`,
    amountMinor: 100 + n,
    currency: "EUR",
    status: "succeeded",
    declineReason: null,
  },
});

describe("WebhookSender batches", () => {
  const received: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let answer = 200;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        received.push({ url: req.url ?? "", headers: req.headers, body });
        res.writeHead(answer, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("go to the batch path beside the configured single-event URL", () => {
    expect(batchUrlFor("http://invoice-app.invoicing.svc:8081/webhooks/payment-events")).toBe(
      "http://invoice-app.invoicing.svc:8081/webhooks/payment-events/batch",
    );
    expect(batchUrlFor("http://gateway.test/invoicing/webhooks/payment-events?tenant=a")).toBe(
      "http://gateway.test/invoicing/webhooks/payment-events/batch?tenant=a",
    );
    expect(batchUrlFor("http://hooks.test/events/")).toBe("http://hooks.test/events/batch");
  });

  it("name a delivery by its events, the same on every retry", () => {
    expect(batchIdFor([event(1), event(2)])).toBe(batchIdFor([event(1), event(2)]));
    expect(batchIdFor([event(1), event(2)])).not.toBe(batchIdFor([event(2), event(1)]));
    expect(batchIdFor([event(1)])).toMatch(/^batch_[0-9a-f]{32}$/);
  });

  it("are posted once, signed over the body with the batch id as webhook-id", async () => {
    received.length = 0;
    answer = 200;
    const sender = new WebhookSender({ url: `${base}/webhooks/payment-events`, secret: SECRET, timeoutMs: 5_000 });
    await sender.deliverBatch([event(1), event(2)]);
    expect(received).toHaveLength(1);
    const [sent] = received;
    expect(sent?.url).toBe("/webhooks/payment-events/batch");
    const body = JSON.parse(sent?.body ?? "") as { batchId: string; events: PaymentSettled[] };
    expect(body).toEqual({ batchId: batchIdFor([event(1), event(2)]), events: [event(1), event(2)] });
    expect(sent?.headers["webhook-id"]).toBe(body.batchId);
    expect(new WebhookSigner(SECRET).verify(sent?.body ?? "", sent?.headers ?? {})).toBeUndefined();
  });

  it("fail on anything but a 2xx, so the outbox delivers again; only a refusal is not worth retrying as it is", async () => {
    const sender = new WebhookSender({ url: `${base}/webhooks/payment-events`, secret: SECRET, timeoutMs: 5_000 });
    const failure = async (status: number) => {
      answer = status;
      return sender.deliverBatch([event(3)]).then(
        () => undefined,
        (error: unknown) => error,
      );
    };
    for (const status of [404, 413, 401]) {
      expect(await failure(status)).toMatchObject({ message: `webhook answered ${status}`, retryable: false });
    }
    for (const status of [500, 503, 429, 408]) {
      expect(await failure(status)).toMatchObject({ message: `webhook answered ${status}`, retryable: true });
    }
    expect(await failure(503)).toBeInstanceOf(WebhookDeliveryError);
    answer = 200;
  });
});

describe("the delivery queue's batch handler", () => {
  const deliverHandler = (deliverBatch: (events: readonly PaymentSettled[]) => Promise<void>) => {
    const webhook = { deliver: async () => {}, deliverBatch } as unknown as WebhookSender;
    const { handlers } = createSettlementJobs({
      db: {} as Database,
      policy: { decide: () => ({ outcome: "succeeded" }) },
      webhook,
      logger: createLogger("test", "silent"),
      latencyMs: 0,
      eventMaxAttempts: 3,
    });
    const handler = handlers.find((candidate) => candidate.queue === DELIVER_QUEUE);
    if (handler?.handleBatch === undefined) throw new Error("the delivery queue has no batch handler");
    return handler.handleBatch.bind(handler);
  };
  const jobsOf = (count: number) =>
    Array.from({ length: count }, (_, n) => ({
      id: n,
      dedupeKey: event(n).eventId,
      payload: event(n),
      attempt: 1,
      maxAttempts: 3,
    }));

  it("asks for a later retry when invoice-app is unavailable, and for one-by-one delivery when it refused", async () => {
    const unavailable = deliverHandler(async () => {
      throw new WebhookDeliveryError("webhook answered 503", true);
    });
    await expect(unavailable(jobsOf(3))).rejects.toBeInstanceOf(RetryBatchLaterError);
    const refused = deliverHandler(async () => {
      throw new WebhookDeliveryError("webhook answered 404", false);
    });
    await expect(refused(jobsOf(3))).rejects.toThrow("webhook answered 404");
    await expect(refused(jobsOf(3))).rejects.not.toBeInstanceOf(RetryBatchLaterError);
  });

  it("sends the events claimed together in requests of at most 100", async () => {
    const batches: number[] = [];
    const deliver = deliverHandler(async (events) => {
      batches.push(events.length);
    });
    await deliver(jobsOf(150));
    expect(batches).toEqual([100, 50]);
  });
});
