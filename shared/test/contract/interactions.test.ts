import {
  describeInvoiceAppState,
  describePaymentProviderState,
  exampleOf,
  INVOICE_APP_INTERACTIONS,
  type Interaction,
  PAYMENT_PROVIDER_INTERACTIONS,
} from "@invoicing/shared/contract";
import { compareToExpected, exampleResponse, schemaMismatches, verifyResponse } from "@invoicing/shared/testing";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { describe, expect, it } from "vitest";

const all: readonly Interaction[] = [...PAYMENT_PROVIDER_INTERACTIONS, ...INVOICE_APP_INTERACTIONS];

/** The request body an interaction sends, if it is JSON at all, with the schema it claims to follow. */
function requestExample(interaction: Interaction) {
  if (interaction.kind === "trpc") return { ...interaction.request, value: interaction.request.input };
  const { request } = interaction;
  return "raw" in request ? undefined : { ...request, value: exampleOf(request.json) };
}

describe("contract interactions", () => {
  it("cover every case the contract names, each once", () => {
    const names = all.map((interaction) => interaction.name);
    expect(new Set(names).size).toBe(names.length);
    expect(PAYMENT_PROVIDER_INTERACTIONS).toHaveLength(15);
    expect(INVOICE_APP_INTERACTIONS).toHaveLength(7);
  });

  it("describe every provider state in words", () => {
    const states = [
      ...PAYMENT_PROVIDER_INTERACTIONS.map((interaction) => describePaymentProviderState(interaction.state)),
      ...INVOICE_APP_INTERACTIONS.map((interaction) => describeInvoiceAppState(interaction.state)),
    ];
    expect(states).toContain("invoice I1 is pending with key invoice:I1:attempt:1");
    expect(states).toContain("a processing payment pay_existing_I1 exists for key invoice:I1:attempt:1 (I1, 1215 EUR)");
  });

  describe.each(all.map((interaction) => [interaction.name, interaction] as const))("%s", (_name, interaction) => {
    it("sends a request that follows its schema, or is refused by it where it says so", () => {
      const request = requestExample(interaction);
      if (request === undefined) {
        expect(interaction.kind === "rest" && "raw" in interaction.request).toBe(true);
        return;
      }
      const problems = schemaMismatches(request.schema, request.value, "body");
      if (request.conformsToSchema) expect(problems).toEqual([]);
      else expect(problems.length).toBeGreaterThan(0);
    });

    it("has matchers whose examples satisfy them", () => {
      const { response } = interaction;
      const expected = "body" in response ? response.body : "data" in response ? response.data : response.error;
      expect(compareToExpected(expected, exampleOf(expected), "response", { extraFields: "reported" })).toEqual([]);
      if (interaction.kind === "rest" && !("raw" in interaction.request)) {
        const { json } = interaction.request;
        expect(compareToExpected(json, exampleOf(json), "body", { extraFields: "reported" })).toEqual([]);
      }
    });

    it("answers an example response that its own verifier accepts (schema, envelope, status)", () => {
      expect(verifyResponse(interaction, exampleResponse(interaction))).toEqual([]);
    });
  });

  const trpcErrors = PAYMENT_PROVIDER_INTERACTIONS.flatMap((interaction) =>
    interaction.kind === "trpc" && "error" in interaction.response
      ? [[interaction.name, interaction.response.error.code, interaction.response.status] as const]
      : [],
  );
  it.each(trpcErrors)("%s: declares the HTTP status tRPC sends for %s", (_name, code, status) => {
    expect(getHTTPStatusCodeFromError(new TRPCError({ code }))).toBe(status);
  });
});
