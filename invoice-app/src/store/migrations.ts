import { jobsMigration, type Migration } from "@invoicing/shared/platform";

export const migrations: readonly Migration[] = [
  jobsMigration,
  {
    id: "001_invoices",
    sql: `
      CREATE TABLE invoices (
        id text PRIMARY KEY,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency char(3) NOT NULL,
        status text NOT NULL DEFAULT 'unpaid' CHECK (status IN ('unpaid', 'pending', 'paid', 'failed')),
        payment_attempt integer NOT NULL DEFAULT 0,
        payment_key text,
        payment_outcome_unknown boolean NOT NULL DEFAULT false,
        payment_id text,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX invoices_payable ON invoices (status) WHERE status IN ('unpaid', 'failed');
      CREATE INDEX invoices_updated_at ON invoices (updated_at);
    `,
  },
  {
    id: "002_inbox",
    sql: `
      CREATE TABLE inbox (
        event_id text PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
