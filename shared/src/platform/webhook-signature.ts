import { Webhook, WebhookVerificationError } from "standardwebhooks";

/**
 * Webhook signatures per the Standard Webhooks spec: HMAC-SHA256 over `id.timestamp.body`, sent as
 * `webhook-id`, `webhook-timestamp` and `webhook-signature` headers. Verification compares in constant time
 * and rejects timestamps more than five minutes from now, so a captured request cannot be replayed later.
 */
export class WebhookSigner {
  private readonly webhook: Webhook;
  private readonly accepted: readonly Webhook[];

  /**
   * Signs with `secret`. Verifies against `secret` and, during a rotation, the `previous` ones: senders still
   * signing with an old secret keep being accepted until every one of them has the new secret.
   */
  constructor(secret: string, previous: readonly string[] = []) {
    const webhookFor = (value: string) => new Webhook(Buffer.from(value, "utf8"), { format: "raw" });
    this.webhook = webhookFor(secret);
    this.accepted = [this.webhook, ...previous.map(webhookFor)];
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
    let problem: string | undefined;
    for (const webhook of this.accepted) {
      try {
        webhook.verify(
          body,
          { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature },
          { jsonParse: false },
        );
        return undefined;
      } catch (error) {
        problem ??= error instanceof WebhookVerificationError ? error.message : "signature could not be verified";
      }
    }
    return problem;
  }
}
