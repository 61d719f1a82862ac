import {
  jobsClaimOrderMigration,
  jobsMigration,
  jobsRetentionMigration,
  type Migration,
} from "@invoicing/shared/platform";

export const migrations: readonly Migration[] = [
  jobsMigration,
  {
    id: "001_payments",
    sql: `
      CREATE TABLE payments (
        id text PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        invoice_id text NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('processing', 'succeeded', 'declined')),
        decline_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz
      );
      CREATE INDEX payments_invoice_id ON payments (invoice_id);
    `,
  },
  jobsClaimOrderMigration,
  jobsRetentionMigration,
];
