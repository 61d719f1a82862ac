import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import type * as z from "zod";
import type { Matchable } from "./matchers.js";

/**
 * One named exchange between a consumer and a provider (the Pact idea, without a broker): the provider state it
 * needs, the request the consumer sends and the response the provider answers. Consumers run their real client
 * against mocks generated from these; providers replay them against their real server.
 */
interface InteractionBase<State> {
  readonly name: string;
  /** What the provider must hold before the request; each provider's verification knows how to set it up. */
  readonly state: State;
}

/** A tRPC procedure call over HTTP (mutations are a POST to /trpc/<procedure> with the input as JSON body). */
export interface TrpcInteraction<In extends z.ZodType = z.ZodType, Out extends z.ZodType = z.ZodType, State = unknown>
  extends InteractionBase<State> {
  readonly kind: "trpc";
  readonly procedure: string;
  readonly type: "mutation";
  readonly request: {
    readonly schema: In;
    /** False for the interactions that show how the provider refuses an input the schema rejects. */
    readonly conformsToSchema: boolean;
    readonly input: z.input<In>;
  };
  readonly response: TrpcSuccess<Out> | TrpcFailure;
}

export interface TrpcSuccess<Out extends z.ZodType = z.ZodType> {
  readonly status: 200;
  readonly schema: Out;
  readonly data: Matchable<z.output<Out>>;
}

export interface TrpcFailure {
  readonly status: number;
  readonly error: { readonly code: TRPC_ERROR_CODE_KEY; readonly message: Matchable<string> };
}

/** Who signed a webhook request: the secret both services share, or anyone else (must be refused). */
export type WebhookSignature = "shared secret" | "another secret";

export type RestRequest<Req extends z.ZodType = z.ZodType> =
  | {
      readonly schema: Req;
      readonly conformsToSchema: boolean;
      readonly json: Matchable<z.input<Req>>;
      /** Set for webhooks: the request carries Standard Webhooks signature headers over the raw body. */
      readonly signedWith?: WebhookSignature;
    }
  /** Bytes that are no JSON document at all (malformed or empty bodies). */
  | { readonly raw: string };

/** A plain HTTP request with a JSON answer: the legacy REST API and the webhook. */
export interface RestInteraction<
  Req extends z.ZodType = z.ZodType,
  Res extends z.ZodType = z.ZodType,
  State = unknown,
  Then = unknown,
> extends InteractionBase<State> {
  readonly kind: "rest";
  readonly method: "POST";
  readonly path: string;
  readonly request: RestRequest<Req>;
  readonly response: { readonly status: number; readonly schema: Res; readonly body: Matchable<z.output<Res>> };
  /** What the provider's own state must show afterwards (checked by the provider's verification only). */
  readonly afterwards?: Then;
}

export type Interaction = TrpcInteraction | RestInteraction;
