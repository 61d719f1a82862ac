import type { Interaction } from "../../src/contract/interactions/interaction.js";
import { WebhookSigner } from "../../src/platform/webhook-signature.js";
import { request } from "../http.js";
import { exampleRequestBody } from "./examples.js";
import { CONTRACT_WEBHOOK_SECRET, type ReceivedResponse, webhookMessageId } from "./verify.js";

/** A secret that is not the shared one: what an impostor signs with. */
export const WRONG_WEBHOOK_SECRET = "not-the-shared-webhook-secret";

/** Sends an interaction's request to a real provider over HTTP, as the consumer would, and returns its answer. */
export async function replay(
  baseUrl: string,
  interaction: Interaction,
  options: { secret?: string } = {},
): Promise<ReceivedResponse> {
  const json = { "content-type": "application/json" };
  const body = exampleRequestBody(interaction);
  if (interaction.kind === "trpc") {
    return request(baseUrl, `/trpc/${interaction.procedure}`, { method: "POST", body, headers: json });
  }
  const { request: sent } = interaction;
  const signature =
    "raw" in sent || sent.signedWith === undefined
      ? {}
      : signatureHeaders(body, sent.signedWith, options.secret ?? CONTRACT_WEBHOOK_SECRET);
  return request(baseUrl, interaction.path, { method: "POST", body, headers: { ...json, ...signature } });
}

function signatureHeaders(body: string, signedWith: "shared secret" | "another secret", secret: string) {
  const { value } = webhookMessageId(JSON.parse(body));
  const messageId = typeof value === "string" ? value : "msg_contract";
  return new WebhookSigner(signedWith === "shared secret" ? secret : WRONG_WEBHOOK_SECRET).sign(messageId, body);
}
