import type { PaymentSettled } from "@invoicing/shared/contract";
import { createHttpFetch, currentRequestId, REQUEST_ID_HEADER, WebhookSigner } from "@invoicing/shared/platform";

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export class WebhookDeliveryError extends Error {}

/** Signs and posts one event to invoice-app; anything but a 2xx is a failed delivery (the outbox retries it). */
export class WebhookSender {
  private readonly signer: WebhookSigner;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: WebhookSenderOptions) {
    this.signer = new WebhookSigner(options.secret);
    this.fetch = options.fetch ?? createHttpFetch();
  }

  async deliver(event: PaymentSettled): Promise<void> {
    const body = JSON.stringify(event);
    const requestId = currentRequestId();
    let response: Response;
    try {
      response = await this.fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...this.signer.sign(event.eventId, body),
          ...(requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId }),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new WebhookDeliveryError(`webhook unreachable: ${(error as Error).message}`);
    }
    await response.body?.cancel();
    if (!response.ok) throw new WebhookDeliveryError(`webhook answered ${response.status}`);
  }
}
