import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { Interaction } from "../../src/contract/interactions/interaction.js";
import { exampleOf } from "../../src/contract/interactions/matchers.js";
import type { ReceivedResponse } from "./verify.js";

/** The response an interaction stands for, as it travels on the wire (tRPC answers wrapped in their envelope). */
export function exampleResponse(interaction: Interaction): ReceivedResponse {
  const { response } = interaction;
  if (interaction.kind === "rest") return { status: response.status, body: exampleOf(interaction.response.body) };
  const trpc = interaction.response;
  if ("data" in trpc) return { status: trpc.status, body: { result: { data: exampleOf(trpc.data) } } };
  return {
    status: trpc.status,
    body: {
      error: {
        message: exampleOf<string>(trpc.error.message),
        code: TRPC_ERROR_CODES_BY_KEY[trpc.error.code],
        data: { code: trpc.error.code, httpStatus: trpc.status, path: interaction.procedure },
      },
    },
  };
}

/** The body a consumer sends for an interaction (tRPC: the input), as text on the wire. */
export function exampleRequestBody(interaction: Interaction): string {
  if (interaction.kind === "trpc") return JSON.stringify(interaction.request.input);
  const { request } = interaction;
  return "raw" in request ? request.raw : JSON.stringify(exampleOf(request.json));
}
