import { TRPCError } from "@trpc/server";
import { HttpResponse, http, type RequestHandler } from "msw";
import type { SetupServer } from "msw/node";
import type { z } from "zod";
import type { Interaction, RestInteraction, TrpcInteraction } from "../../src/contract/interactions/interaction.js";
import { exampleOf } from "../../src/contract/interactions/matchers.js";
import type { Mismatch } from "./compare.js";
import { type Candidate, unmatchedReport } from "./diff.js";
import type { ContractRecorder } from "./recorder.js";
import { type SentRequest, verifyRestRequest, verifyTrpcInput } from "./verify.js";

/**
 * The msw-trpc registration for one procedure, e.g. `createTRPCMsw<Router>(...).payments.create.mutation`: passing
 * it in keeps the router's types in charge (an interaction whose input or output no longer fits fails tsc).
 */
export type TrpcMutationMock<In extends z.ZodType, Out extends z.ZodType> = (
  resolver: (request: { input: z.input<In> }) => Promise<z.output<Out>>,
) => RequestHandler;

/** One msw-trpc handler that answers each call with the interaction whose input it matches exactly. */
export function trpcInteractionHandler<In extends z.ZodType, Out extends z.ZodType, State>(
  mutation: TrpcMutationMock<In, Out>,
  interactions: readonly TrpcInteraction<In, Out, State>[],
  recorder: ContractRecorder,
): RequestHandler {
  return mutation(async ({ input }) => {
    const candidates = interactions.map((interaction) => ({
      interaction,
      name: interaction.name,
      mismatches: verifyTrpcInput(interaction, input),
    }));
    const hit = candidates.find((candidate) => candidate.mismatches.length === 0);
    if (hit === undefined) {
      const procedure = interactions[0]?.procedure ?? "procedure";
      const report = unmatchedReport(`tRPC ${procedure}`, JSON.stringify(input), candidates);
      recorder.unmatched(report);
      throw new TRPCError({ code: "NOT_IMPLEMENTED", message: report });
    }
    recorder.answered(hit.name);
    const { response } = hit.interaction;
    if ("data" in response) return exampleOf<z.output<Out>>(response.data);
    throw new TRPCError({ code: response.error.code, message: exampleOf<string>(response.error.message) });
  });
}

/** Plain msw handlers for REST and webhook interactions (one per path); webhook signatures are verified. */
export function restInteractionHandlers(
  baseUrl: string,
  interactions: readonly RestInteraction[],
  recorder: ContractRecorder,
  options: { secret?: string } = {},
): RequestHandler[] {
  const paths = [...new Set(interactions.map((interaction) => interaction.path))];
  return paths.map((path) =>
    http.post(`${baseUrl}${path}`, async ({ request }) => {
      const sent = await sentRequest(request);
      const candidates = interactions
        .filter((interaction) => interaction.path === path)
        .map((interaction) => ({
          interaction,
          name: interaction.name,
          mismatches: verifyRestRequest(interaction, sent, options),
        }));
      const hit = candidates.find((candidate) => candidate.mismatches.length === 0);
      if (hit === undefined) {
        const report = unmatchedReport(`POST ${path}`, describeSent(sent), candidates);
        recorder.unmatched(report);
        return HttpResponse.json({ error: report }, { status: 501 });
      }
      recorder.answered(hit.name);
      const { response } = hit.interaction;
      return new HttpResponse(JSON.stringify(exampleOf(response.body)), {
        status: response.status,
        headers: { "content-type": "application/json" },
      });
    }),
  );
}

/**
 * Reports requests no handler took (wrong path, method or host) with the closest interaction of the direction.
 * Use with `onUnhandledRequest: "error"`, which fails the request itself.
 */
export function reportUnhandledRequests(
  server: SetupServer,
  interactions: readonly Interaction[],
  recorder: ContractRecorder,
): void {
  server.events.on("request:unhandled", ({ request }) => {
    recorder.track(
      sentRequest(request.clone()).then((sent) => {
        const url = new URL(request.url);
        const candidates = interactions.map((interaction) => closeness(interaction, request.method, url, sent));
        recorder.unmatched(unmatchedReport(`${request.method} ${url.href}`, describeSent(sent), candidates));
      }),
    );
  });
}

function closeness(interaction: Interaction, method: string, url: URL, sent: SentRequest): Candidate {
  const path = interaction.kind === "trpc" ? `/trpc/${interaction.procedure}` : interaction.path;
  const where: Mismatch[] =
    method === "POST" && url.pathname === path
      ? []
      : [{ path: "request", problem: `expected POST ${path}, got ${method} ${url.pathname}` }];
  let body: Mismatch[];
  if (interaction.kind === "rest") {
    body = verifyRestRequest(interaction, sent);
  } else {
    try {
      body = verifyTrpcInput(interaction, JSON.parse(sent.body));
    } catch {
      body = [{ path: "input", problem: "not JSON" }];
    }
  }
  return { name: interaction.name, mismatches: [...where, ...body] };
}

async function sentRequest(request: Request): Promise<SentRequest> {
  let body = "";
  try {
    body = await request.text();
  } catch {
    body = "(body not readable)";
  }
  return { body, headers: Object.fromEntries(request.headers) };
}

function describeSent(sent: SentRequest): string {
  const signature =
    sent.headers["webhook-signature"] === undefined ? "" : ` (webhook-id ${sent.headers["webhook-id"]})`;
  return `${sent.body === "" ? "(empty body)" : sent.body}${signature}`;
}

/**
 * A fetch for clients that cancel response bodies they do not read (WebhookSender does): with msw 2.15
 * (@mswjs/interceptors 0.41) `response.body.cancel()` on a mocked response never settles (mswjs/interceptors#799,
 * fixed upstream by #833). Reading the mocked body into a plain Response first keeps such clients unchanged.
 */
export const bufferedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const body = await response.arrayBuffer();
  return new Response(body.byteLength === 0 ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
};
