import type { PaymentProviderState } from "@invoicing/shared/contract";
import type { Database } from "@invoicing/shared/platform";
import { PaymentsRepository } from "../../src/store/payments-repository.js";

/**
 * Puts payment-provider's own database into an interaction's provider state, starting from an empty ledger.
 * Returns how to undo what cannot stay (a failing store).
 */
export async function setUpPaymentProviderState(
  db: Database,
  state: PaymentProviderState,
): Promise<() => Promise<void>> {
  await db.exec("DELETE FROM jobs; DELETE FROM payments;");
  switch (state.given) {
    case "no payment exists":
      return async () => {};
    case "a payment exists": {
      // Inserted as stored rows, without scheduling settlement: the payment stays as the state describes it.
      const { created } = await new PaymentsRepository(db).insertOnce(state.payment);
      if (!created) throw new Error(`provider state: payment ${state.payment.id} was not created`);
      return async () => {};
    }
    case "the payments store is failing":
      // Every query on payments now fails inside the real repository, as with a broken or unreachable table.
      await db.exec("ALTER TABLE payments RENAME TO payments_unavailable;");
      return () => db.exec("ALTER TABLE payments_unavailable RENAME TO payments;");
  }
}
