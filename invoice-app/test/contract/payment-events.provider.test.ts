import { describeInvoiceAppState, INVOICE_APP_INTERACTIONS } from "@invoicing/shared/contract";
import { assertNoMismatches, freePort, replay, testStores, verifyResponse } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvoicesRepository } from "../../src/store/invoices-repository.js";
import { type StartedInvoiceApp, startInvoices } from "../support.js";
import { setUpInvoiceAppState } from "./provider-states.js";

describe.each(testStores())("invoice-app honours the payment-events contract on $name", (store) => {
  let invoices: StartedInvoiceApp;
  beforeAll(async () => {
    // Nothing listens there: the verification never lets the worker call payment-provider.
    invoices = await startInvoices(store, `http://127.0.0.1:${await freePort()}`, { SEED_INVOICES: "false" });
  });
  afterAll(() => invoices?.stop());

  it.each(INVOICE_APP_INTERACTIONS)("$name", async (interaction) => {
    await setUpInvoiceAppState(invoices.app.db, interaction.state);
    const response = await replay(invoices.url, interaction);
    assertNoMismatches(
      `"${interaction.name}" given ${describeInvoiceAppState(interaction.state)}`,
      verifyResponse(interaction, response),
    );
    const repository = new InvoicesRepository(invoices.app.db);
    for (const expected of interaction.afterwards?.invoices ?? []) {
      expect({ id: expected.id, status: (await repository.get(expected.id))?.status }).toEqual(expected);
    }
  });
});
