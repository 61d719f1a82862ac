import { type Invoice, Invoice as InvoiceSchema } from "@invoicing/shared/contract";
import type { Logger, Queryable } from "@invoicing/shared/platform";
import * as z from "zod";
import { toLegacyInvoice } from "../domain/invoice.js";
import { COLUMNS, toInvoice } from "./invoices-repository.js";

/** The invoice list as one read saw it, with its serialized forms built on first use. */
export class InvoiceListSnapshot {
  private legacy: Buffer | undefined;
  private trpc: Buffer | null | undefined;

  constructor(readonly invoices: readonly Invoice[]) {}

  /** The body of `GET /invoices`. */
  get legacyJson(): Buffer {
    this.legacy ??= Buffer.from(JSON.stringify(this.invoices.map(toLegacyInvoice)));
    return this.legacy;
  }

  /**
   * The body tRPC sends for `invoices.list`: `{"result":{"data":[...]}}` after the procedure's output schema, or
   * undefined when the output would not validate (tRPC itself must answer that request then).
   */
  get trpcJson(): Buffer | undefined {
    if (this.trpc === undefined) {
      const output = InvoiceList.safeParse(this.invoices);
      this.trpc = output.success ? Buffer.from(JSON.stringify({ result: { data: output.data } })) : null;
    }
    return this.trpc ?? undefined;
  }
}

/** The output schema of `invoices.list`. */
export const InvoiceList = z.array(InvoiceSchema);

export interface InvoiceListCacheOptions {
  /** How often a replica holding a list checks the shared version: how late it sees another replica's change. */
  checkIntervalMs: number;
  /** A list not confirmed by a check for this long (database slow or unreachable) is not served any more. */
  maxUnconfirmedMs: number;
  /** A list nobody read for this long is dropped, and its replica stops checking. */
  idleMs: number;
}

export const DEFAULT_INVOICE_LIST_CACHE: InvoiceListCacheOptions = {
  checkIntervalMs: 50,
  maxUnconfirmedMs: 1_000,
  idleMs: 10_000,
};

interface Entry {
  snapshot: InvoiceListSnapshot;
  generation: number;
  /** Sum of invoice_versions in the snapshot the list was read from. */
  version: string;
  /** When the last check that found the version unchanged started (or the read itself). */
  confirmedAt: number;
  readAt: number;
}

// One statement, so the list and the version come from one snapshot: a change that commits after it raises the
// version, and the next check drops the list.
const LIST_WITH_VERSION_SQL = `
  SELECT v.version, ${COLUMNS.split(", ")
    .map((column) => `i.${column}`)
    .join(", ")}
    FROM (SELECT coalesce(sum(version), 0)::text AS version FROM invoice_versions) v
    LEFT JOIN invoices i ON true
   ORDER BY i.created_at, i.id`;

/** The sum of the per-backend change counters: it grows with every statement that changes invoices. */
export const VERSION_SQL = "SELECT coalesce(sum(version), 0)::text AS version FROM invoice_versions";
export const VersionRow = z.object({ version: z.string() });

/**
 * The invoice list, read once and served from memory until something changes it. Correct across replicas:
 * - a change made through this process invalidates the list as soon as it has committed (read your writes);
 * - every statement that changes invoices, on any replica or by hand, bumps `invoice_versions` in its own
 *   transaction (a trigger), and while a list is held the cache compares that version every `checkIntervalMs`;
 * - a list whose version could not be confirmed for `maxUnconfirmedMs` is not served: reads go to the database.
 */
export class InvoiceListCache {
  private generation = 0;
  private entry: Entry | undefined;
  private filling: { generation: number; promise: Promise<InvoiceListSnapshot> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
    private readonly options: InvoiceListCacheOptions = DEFAULT_INVOICE_LIST_CACHE,
  ) {}

  /** Call once a change to invoices made by this process has committed. */
  invalidate(): void {
    this.generation++;
    this.entry = undefined;
  }

  /** The list if a confirmed copy is held, without waiting. */
  peek(): InvoiceListSnapshot | undefined {
    const entry = this.entry;
    if (entry === undefined || entry.generation !== this.generation) return undefined;
    const now = Date.now();
    if (now - entry.confirmedAt > this.options.maxUnconfirmedMs) return undefined;
    entry.readAt = now;
    return entry.snapshot;
  }

  get(): InvoiceListSnapshot | Promise<InvoiceListSnapshot> {
    return this.peek() ?? this.fill();
  }

  stop(): void {
    this.stopped = true;
    this.entry = undefined;
    clearTimeout(this.timer);
  }

  private fill(): Promise<InvoiceListSnapshot> {
    const generation = this.generation;
    if (this.filling?.generation === generation) return this.filling.promise;
    const promise = (async () => {
      const startedAt = Date.now();
      const rows = await this.db.query(LIST_WITH_VERSION_SQL);
      const version = VersionRow.parse(rows[0] ?? { version: "0" }).version;
      const invoices = rows.filter((row) => (row as { id: unknown }).id !== null).map(toInvoice);
      const snapshot = new InvoiceListSnapshot(invoices);
      if (generation === this.generation && !this.stopped) {
        this.entry = { snapshot, generation, version, confirmedAt: startedAt, readAt: Date.now() };
        this.scheduleCheck();
      }
      return snapshot;
    })();
    this.filling = { generation, promise };
    const clear = () => {
      if (this.filling?.promise === promise) this.filling = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  private scheduleCheck(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, this.options.checkIntervalMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const entry = this.entry;
    if (entry === undefined || this.stopped) return;
    const startedAt = Date.now();
    if (startedAt - entry.readAt > this.options.idleMs) {
      this.entry = undefined;
      return;
    }
    try {
      const [row] = await this.db.query(VERSION_SQL);
      const { version } = VersionRow.parse(row);
      if (this.entry === entry) {
        if (version === entry.version) entry.confirmedAt = startedAt;
        else this.entry = undefined;
      }
    } catch (error) {
      this.logger.debug({ err: error }, "invoice list version check failed");
    }
    if (this.entry !== undefined) this.scheduleCheck();
  }
}
