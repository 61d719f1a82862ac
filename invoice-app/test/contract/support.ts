import type { PaymentProviderInteraction } from "@invoicing/shared/contract";
import { ContractRecorder, reportUnhandledRequests } from "@invoicing/shared/testing";
import { type SetupServer, setupServer } from "msw/node";
import { createTRPCMsw, httpLink } from "msw-trpc";
import type { PaymentProviderRouter } from "payment-provider/trpc";
import { afterAll, afterEach, beforeAll } from "vitest";

/** Where the consumer tests point invoice-app's client: only msw answers on this host. */
export const PROVIDER_URL = "http://payment-provider.contract.test";

/** msw-trpc typed by payment-provider's real router: interactions that no longer fit it fail tsc. */
export const providerMsw = createTRPCMsw<PaymentProviderRouter>({ links: [httpLink({ url: `${PROVIDER_URL}/trpc` })] });

/** An msw server for one test file that fails on any request no interaction handles, with a readable report. */
export function contractMockServer(interactions: readonly PaymentProviderInteraction[]): {
  server: SetupServer;
  recorder: ContractRecorder;
} {
  const server = setupServer();
  const recorder = new ContractRecorder();
  reportUnhandledRequests(server, interactions, recorder);
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => {
    server.resetHandlers();
    recorder.reset();
  });
  afterAll(() => server.close());
  return { server, recorder };
}
