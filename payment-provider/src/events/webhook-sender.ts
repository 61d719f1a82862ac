import { createHash } from "node:crypto";
import { PAYMENT_EVENTS_BATCH_PATH, PAYMENT_EVENTS_PATH, type PaymentSettled } from "@invoicing/shared/contract";
import {
  createHttpFetch,
  currentRequestId,
  isRefusal,
  REQUEST_ID_HEADER,
  WebhookSigner,
} from "@invoicing/shared/platform";

export interface WebhookSenderOptions {
  /** Where single events go (invoice-app's PAYMENT_EVENTS_PATH); batches go to the batch path beside it. */
  url: string;
  secret: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    /** False when invoice-app refused the request itself (a 4xx other than 408 and 429): sending it again as it is cannot help. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The batch endpoint beside a single-event webhook URL (`.../payment-events` -> `.../payment-events/batch`). */
export function batchUrlFor(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = parsed.pathname.endsWith(PAYMENT_EVENTS_PATH)
    ? `${parsed.pathname.slice(0, -PAYMENT_EVENTS_PATH.length)}${PAYMENT_EVENTS_BATCH_PATH}`
    : `${parsed.pathname.replace(/\/$/, "")}/batch`;
  return parsed.toString();
}

/** The same events always make the same id, so a retried delivery is recognisably the same message. */
export function batchIdFor(events: readonly PaymentSettled[]): string {
  const digest = createHash("sha256");
  for (const event of events) digest.update(event.eventId).update("\n");
  return `batch_${digest.digest("hex").slice(0, 32)}`;
}

/**
 * Signs and posts events to invoice-app, one or several per request; anything but a 2xx is a failed delivery (the
 * outbox retries it).
 */
export class WebhookSender {
  private readonly signer: WebhookSigner;
  private readonly fetch: typeof fetch;
  private readonly batchUrl: string;

  constructor(private readonly options: WebhookSenderOptions) {
    this.signer = new WebhookSigner(options.secret);
    this.fetch = options.fetch ?? createHttpFetch();
    this.batchUrl = batchUrlFor(options.url);
  }

  deliver(event: PaymentSettled): Promise<void> {
    return this.post(this.options.url, event.eventId, JSON.stringify(event));
  }

  /** At most PAYMENT_EVENTS_BATCH_LIMIT events, applied by invoice-app in this order. */
  deliverBatch(events: readonly PaymentSettled[]): Promise<void> {
    const batchId = batchIdFor(events);
    return this.post(this.batchUrl, batchId, JSON.stringify({ batchId, events }));
  }

  private async post(url: string, messageId: string, body: string): Promise<void> {
    const requestId = currentRequestId();
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...this.signer.sign(messageId, body),
          ...(requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId }),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new WebhookDeliveryError(`webhook unreachable: ${(error as Error).message}`, true);
    }
    await response.body?.cancel();
    if (!response.ok)
      throw new WebhookDeliveryError(`webhook answered ${response.status}`, !isRefusal(response.status));
  }
}
