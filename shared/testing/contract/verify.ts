import type { z } from "zod";
import type { Interaction, RestInteraction, TrpcInteraction } from "../../src/contract/interactions/interaction.js";
import { DEV_WEBHOOK_SECRET } from "../../src/platform/env.js";
import { WebhookSigner } from "../../src/platform/webhook-signature.js";
import { compareToExpected, type Mismatch, schemaMismatches } from "./compare.js";
import { TrpcErrorEnvelope, TrpcResultEnvelope } from "./trpc-wire.js";

export interface ReceivedResponse {
  readonly status: number;
  /** Parsed JSON, or the text when the body was not JSON. */
  readonly body: unknown;
}

export interface SentRequest {
  /** The raw body as sent. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface VerifyOptions {
  /** Verify against this schema instead of the interaction's own (a proposed change, or a stale copy). */
  readonly schema?: z.ZodType;
}

/** The secret both services sign webhooks with in development and tests. */
export const CONTRACT_WEBHOOK_SECRET = DEV_WEBHOOK_SECRET;

const strict = { extraFields: "reported" } as const;
const lenient = { extraFields: "allowed" } as const;

function conformance(schema: z.ZodType, conforms: boolean, value: unknown, root: string): Mismatch[] {
  const problems = schemaMismatches(schema, value, root);
  if (conforms) return problems;
  return problems.length > 0 ? [] : [{ path: root, problem: "schema: expected the request schema to refuse it" }];
}

/** Checks the input a consumer sent to a tRPC procedure: exactly the interaction's input, valid (or not) as it says. */
export function verifyTrpcInput(interaction: TrpcInteraction, input: unknown, options: VerifyOptions = {}): Mismatch[] {
  const { request } = interaction;
  return [
    ...compareToExpected(request.input, input, "input", strict),
    ...conformance(options.schema ?? request.schema, request.conformsToSchema, input, "input"),
  ];
}

/** Checks a plain HTTP request a consumer sent: the body, and for webhooks the signature headers. */
export function verifyRestRequest(
  interaction: RestInteraction,
  sent: SentRequest,
  options: VerifyOptions & { secret?: string } = {},
): Mismatch[] {
  const { request } = interaction;
  if ("raw" in request) {
    return sent.body === request.raw ? [] : [{ path: "body", problem: `expected ${JSON.stringify(request.raw)}` }];
  }
  let json: unknown;
  try {
    json = JSON.parse(sent.body);
  } catch {
    return [{ path: "body", problem: `expected JSON, got ${JSON.stringify(sent.body.slice(0, 200))}` }];
  }
  const signature =
    request.signedWith === undefined ? [] : signatureMismatches(request.signedWith, sent, json, options.secret);
  return [
    ...compareToExpected(request.json, json, "body", strict),
    ...conformance(options.schema ?? request.schema, request.conformsToSchema, json, "body"),
    ...signature,
  ];
}

function signatureMismatches(
  expected: "shared secret" | "another secret",
  sent: SentRequest,
  json: unknown,
  secret = CONTRACT_WEBHOOK_SECRET,
): Mismatch[] {
  const problem = new WebhookSigner(secret).verify(sent.body, sent.headers);
  const mismatches: Mismatch[] = [];
  if (expected === "shared secret" && problem !== undefined) {
    mismatches.push({ path: "headers.webhook-signature", problem: `not signed with the shared secret: ${problem}` });
  }
  if (expected === "another secret" && problem === undefined) {
    mismatches.push({ path: "headers.webhook-signature", problem: "expected a signature the shared secret rejects" });
  }
  const messageId = webhookMessageId(json);
  if (sent.headers["webhook-id"] !== messageId.value) {
    mismatches.push({
      path: "headers.webhook-id",
      problem: `expected the ${messageId.field} ${JSON.stringify(messageId.value)}, got ${JSON.stringify(sent.headers["webhook-id"])}`,
    });
  }
  return mismatches;
}

/** Checks a provider's answer field by field: status, envelope, schema (types, required fields, enums), values. */
export function verifyResponse(
  interaction: Interaction,
  received: ReceivedResponse,
  options: VerifyOptions = {},
): Mismatch[] {
  const { response } = interaction;
  const status =
    received.status === response.status
      ? []
      : [
          {
            path: "status",
            problem: `expected ${response.status}, got ${received.status} ${summarize(received.body)}`,
          },
        ];
  if (interaction.kind === "rest") {
    const { response: rest } = interaction;
    return [
      ...status,
      ...schemaMismatches(options.schema ?? rest.schema, received.body, "body"),
      ...compareToExpected(rest.body, received.body, "body", lenient),
    ];
  }
  const { response: trpc } = interaction;
  if ("data" in trpc) {
    const envelope = TrpcResultEnvelope.safeParse(received.body);
    if (!envelope.success) return [...status, ...schemaMismatches(TrpcResultEnvelope, received.body, "body")];
    const { data } = envelope.data.result;
    return [
      ...status,
      ...schemaMismatches(options.schema ?? trpc.schema, data, "data"),
      ...compareToExpected(trpc.data, data, "data", lenient),
    ];
  }
  const envelope = TrpcErrorEnvelope.safeParse(received.body);
  if (!envelope.success) return [...status, ...schemaMismatches(TrpcErrorEnvelope, received.body, "body")];
  const { error } = envelope.data;
  return [
    ...status,
    ...compareToExpected(trpc.error.code, error.data.code, "error.data.code", lenient),
    ...compareToExpected(trpc.status, error.data.httpStatus, "error.data.httpStatus", lenient),
    ...compareToExpected(trpc.error.message, error.message, "error.message", lenient),
  ];
}

function summarize(body: unknown): string {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text === undefined ? "" : `(${text.length > 300 ? `${text.slice(0, 300)}...` : text})`;
}

/** The id a signed webhook body must carry as `webhook-id`: an event's `eventId`, a batch's `batchId`. */
export function webhookMessageId(json: unknown): { field: "eventId" | "batchId"; value: unknown } {
  if (typeof json === "object" && json !== null && "batchId" in json) return { field: "batchId", value: json.batchId };
  return {
    field: "eventId",
    value: typeof json === "object" && json !== null && "eventId" in json ? json.eventId : undefined,
  };
}
