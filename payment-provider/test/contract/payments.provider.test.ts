import { describePaymentProviderState, PAYMENT_PROVIDER_INTERACTIONS } from "@invoicing/shared/contract";
import { assertNoMismatches, freePort, replay, testStores, verifyResponse } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type StartedProvider, startProvider } from "../support.js";
import { setUpPaymentProviderState } from "./provider-states.js";

describe.each(testStores())("payment-provider honours the payments contract on $name", (store) => {
  let provider: StartedProvider;
  beforeAll(async () => {
    // Settlement events go nowhere: this suite verifies what payment-provider answers, not what it emits.
    provider = await startProvider(store, { EVENTS_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/events` });
  });
  afterAll(() => provider?.stop());

  it.each(PAYMENT_PROVIDER_INTERACTIONS)("$name", async (interaction) => {
    const restore = await setUpPaymentProviderState(provider.app.db, interaction.state);
    try {
      const response = await replay(provider.url, interaction);
      assertNoMismatches(
        `"${interaction.name}" given ${describePaymentProviderState(interaction.state)}`,
        verifyResponse(interaction, response),
      );
    } finally {
      await restore();
    }
  });
});
