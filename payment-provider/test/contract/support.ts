import { INVOICE_APP_INTERACTIONS, PAYMENT_EVENTS_PATH } from "@invoicing/shared/contract";
import { bufferedFetch, ContractRecorder, reportUnhandledRequests, type TestStore } from "@invoicing/shared/testing";
import { type SetupServer, setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type StartedProvider, startProvider } from "../support.js";

/** Where the consumer tests deliver events: only msw answers on this host. */
export const INVOICE_APP_URL = "http://invoice-app.contract.test";

/** An msw server for one test file that fails on any request no interaction handles, with a readable report. */
export function contractMockServer(): { server: SetupServer; recorder: ContractRecorder } {
  const server = setupServer();
  const recorder = new ContractRecorder();
  reportUnhandledRequests(server, INVOICE_APP_INTERACTIONS, recorder);
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => {
    server.resetHandlers();
    recorder.reset();
  });
  afterAll(() => server.close());
  return { server, recorder };
}

/** The real payment-provider delivering its events to the contract mock (bufferedFetch: see there why). */
export function startProviderDeliveringToMock(
  store: TestStore,
  env: Record<string, string> = {},
): Promise<StartedProvider> {
  return startProvider(
    store,
    { EVENTS_WEBHOOK_URL: `${INVOICE_APP_URL}${PAYMENT_EVENTS_PATH}`, EVENTS_MAX_ATTEMPTS: "1", ...env },
    { fetch: bufferedFetch },
  );
}
