import {
  jobsClaimOrderMigration,
  jobsMigration,
  jobsRetentionMigration,
  type Migration,
} from "@invoicing/shared/platform";

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
  jobsClaimOrderMigration,
  {
    // Every statement that changes invoices bumps a counter in the same transaction, so a replica that cached the
    // invoice list (store/invoice-list-cache.ts) can tell from one tiny query whether any replica, or anyone with
    // SQL access, changed an invoice since. One counter row per backend (pid modulo 1024) instead of one shared row:
    // concurrent writers never wait on each other's counter, and it works the same on PGlite.
    id: "003_invoice_versions",
    sql: `
      CREATE TABLE invoice_versions (
        slot integer PRIMARY KEY,
        version bigint NOT NULL
      );
      CREATE FUNCTION invoices_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO invoice_versions (slot, version) VALUES (pg_backend_pid() % 1024, 1)
        ON CONFLICT (slot) DO UPDATE SET version = invoice_versions.version + 1;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER invoices_bump_version
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON invoices
        FOR EACH STATEMENT EXECUTE FUNCTION invoices_bump_version();
    `,
  },
  {
    // When a pending invoice's payment was last asked about again (store/invoices-repository.ts,
    // requeueStalePending): kept apart from updated_at, which only real changes move.
    id: "004_payment_checked_at",
    sql: "ALTER TABLE invoices ADD COLUMN payment_checked_at timestamptz;",
  },
  jobsRetentionMigration,
];
