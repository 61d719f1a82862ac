import { Webhook, WebhookVerificationError } from "standardwebhooks";

/**
 * Webhook signatures per the Standard Webhooks spec: HMAC-SHA256 over `id.timestamp.body`, sent as
 * `webhook-id`, `webhook-timestamp` and `webhook-signature` headers. Verification compares in constant time
 * and rejects timestamps more than five minutes from now, so a captured request cannot be replayed later.
 */
export class WebhookSigner {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    this.webhook = new Webhook(Buffer.from(secret, "utf8"), { format: "raw" });
  }

  sign(id: string, body: string, at = new Date()): Record<string, string> {
    return {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": this.webhook.sign(id, at, body),
    };
  }

  /** Returns undefined when the signature is valid and fresh, otherwise why it is not. */
  verify(body: string, headers: Record<string, string | string[] | undefined>): string | undefined {
    const pick = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const id = pick("webhook-id");
    const timestamp = pick("webhook-timestamp");
    const signature = pick("webhook-signature");
    if (id === undefined || timestamp === undefined || signature === undefined) {
      return "missing webhook-id, webhook-timestamp or webhook-signature header";
    }
    try {
      this.webhook.verify(
        body,
        {
          "webhook-id": id,
          "webhook-timestamp": timestamp,
          "webhook-signature": signature,
        },
        { jsonParse: false },
      );
      return undefined;
    } catch (error) {
      if (error instanceof WebhookVerificationError) return error.message;
      return "signature could not be verified";
    }
  }
}
