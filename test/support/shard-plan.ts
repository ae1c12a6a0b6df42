import type { Database, SqlValue } from '../../src/platform/database';

/**
 * Where each table would live on a sharded MySQL-compatible database (docs/scaling-out.md § The plan, table by
 * table). `test/api/shard-plan.test.ts` holds the migrated schema to it (a new table must be placed here) and
 * `test/compat/spider.test.ts` shards the hot path's tables by it on MariaDB Spider. A design, not a deployment.
 */
export type Placement =
  /** Rows spread by the hash of this column. `uniqueAnyway`: unique keys (by their columns) without it, and why they stay unique. */
  | { shardBy: string; uniqueAnyway?: Record<string, string> }
  /** One copy, on one shard (Vitess: an unsharded keyspace): small, or written rarely, or read whole. */
  | { unsharded: true };

const byCampaign = { shardBy: 'campaign_id' };
const byUser = { shardBy: 'user_id' };
const unsharded = { unsharded: true } as const;

/** A random v4 id: a collision between two shards is as likely as one in a single table, and a retry carries its own key, so it meets its first attempt. */
const RANDOM_ID = 'a random UUID, and a retry lands on the same shard as its first attempt';

export const SHARD_PLAN: Record<string, Placement> = {
  // A campaign, its pledges and everything the pledge batch writes: one shard, so the batch's transaction is single-shard.
  campaigns: { shardBy: 'id' },
  pledges: { shardBy: 'campaign_id', uniqueAnyway: { id: RANDOM_ID } },
  payments: {
    shardBy: 'campaign_id',
    uniqueAnyway: {
      id: RANDOM_ID,
      'provider,transaction_id': 'the provider’s transaction id is looked up by a lookup table (Vitess lookup vindex); TiDB keeps it global',
    },
  },
  refunds: { shardBy: 'campaign_id', uniqueAnyway: { id: RANDOM_ID } },
  pledge_tallies: byCampaign,
  pledge_days: byCampaign,
  pledgers: byCampaign,
  pledger_counts: byCampaign,
  campaign_consumer_units: byCampaign,
  // The ledger: an entry and its lines together (lines by their entry's id).
  journal_entries: { shardBy: 'id' },
  journal_lines: { shardBy: 'entry_id', uniqueAnyway: { id: RANDOM_ID } },
  gateway_events: { shardBy: 'id' },
  // A consumer's own things: one shard per consumer.
  users: {
    shardBy: 'id',
    uniqueAnyway: {
      email: 'a lookup table email → user id (Vitess: a unique lookup vindex)',
      phone: 'a lookup table phone → user id (Vitess: a unique lookup vindex)',
    },
  },
  // Sessions by their own id: a request looks its session up by id (one shard); ending all of a user's is rare (a scatter).
  sessions: { shardBy: 'id' },
  consumer_notifications: { shardBy: 'user_id', uniqueAnyway: { id: RANDOM_ID } },
  subscriptions: { shardBy: 'user_id', uniqueAnyway: { id: RANDOM_ID } },
  fruit_boxes: {
    shardBy: 'user_id',
    uniqueAnyway: {
      id: 'a time-ordered UUIDv7 with 74 random bits',
      'subscription_id,delivery_date': 'a subscription belongs to one consumer, so all its boxes are on one shard',
    },
  },
  shop_bindings: byUser,
  shop_consents: byUser,
  shop_consent_events: { shardBy: 'user_id', uniqueAnyway: { id: RANDOM_ID } },
  markers: byUser,
  marks: byUser,
  // Idempotency keys: by the caller they belong to (a user's or an API key's id), with its key.
  idempotency_keys: { shardBy: 'subject', uniqueAnyway: { id: RANDOM_ID } },
  // Everything else: reference data (factories, fruits, plans), operator work (payouts, statements, concepts),
  // or tables written by one job at a time. The jobs table stays unsharded on Vitess (see docs/scaling-out.md § Jobs).
  audit_entries: unsharded,
  commission_earnings: unsharded,
  commission_holds: unsharded,
  commission_rates: unsharded,
  concepts: unsharded,
  concept_ratings: unsharded,
  concept_trial_applications: unsharded,
  factories: unsharded,
  factory_api_keys: unsharded,
  factory_payees: unsharded,
  factory_statements: unsharded,
  factory_statement_entries: unsharded,
  factory_webhooks: unsharded,
  forecast_batches: unsharded,
  forecast_commitments: unsharded,
  forecast_lines: unsharded,
  fruits: unsharded,
  fruit_box_contents: unsharded,
  fruit_shortfall_shares: unsharded,
  fruit_supply_commitments: unsharded,
  jobs: unsharded,
  mark_subjects: unsharded,
  migrations: unsharded,
  payment_checkouts: unsharded,
  payment_statement_checks: unsharded,
  payment_statement_differences: unsharded,
  payouts: unsharded,
  payout_batches: unsharded,
  phone_codes: unsharded,
  shops: unsharded,
  shop_payees: unsharded,
  shop_sales: unsharded,
  shop_statements: unsharded,
  shop_statement_lines: unsharded,
  shop_visits: unsharded,
  subscription_plans: unsharded,
  subscription_skips: unsharded,
  webhook_deliveries: unsharded,
};

/**
 * Foreign keys whose two tables would not be on the same shard (child.column → parent): each is dropped on Vitess,
 * the rule staying in the service's code, which writes the parent first; TiDB enforces foreign keys from v6.6 on.
 */
export const FOREIGN_KEYS_TO_DROP: Record<string, string> = {
  'campaigns.factory_id → factories': 'campaigns by id, factories unsharded',
  'users.factory_id → factories': 'users by id, factories unsharded',
  'sessions.user_id → users': 'sessions by id, users by id',
  'payment_checkouts.payment_id → payments': 'payment_checkouts unsharded, payments by campaign',
};

export interface TableShape {
  columns: string[];
  primaryKey: string[];
  /** Every unique key, the primary key included, as its columns in order. */
  uniqueKeys: string[][];
  /** Every index, the primary key included, as its columns in order. */
  indexes: string[][];
  foreignKeys: { columns: string[]; parent: string; parentColumns: string[] }[];
}

/** The migrated schema as the database itself describes it (information_schema on MySQL, PRAGMAs on SQLite). */
export async function readSchema(db: Database): Promise<Record<string, TableShape>> {
  return db.read(async (tx) => {
    const rows = async <R>(query: string, values: SqlValue[] = []) => (await db.sql<R>(tx, query, values)).rows;
    const shapes: Record<string, TableShape> = {};
    if (db.dialect === 'mysql') {
      const schema = 'table_schema = DATABASE()';
      for (const { t } of await rows<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE ${schema} AND table_type = 'BASE TABLE'`))
        shapes[t] = { columns: [], primaryKey: [], uniqueKeys: [], indexes: [], foreignKeys: [] };
      for (const c of await rows<{ t: string; c: string }>(
        `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE ${schema} ORDER BY ordinal_position`,
      ))
        shapes[c.t]?.columns.push(c.c);
      const indexes = await rows<{ t: string; i: string; c: string; u: number }>(
        `SELECT table_name AS t, index_name AS i, column_name AS c, non_unique = 0 AS u FROM information_schema.statistics WHERE ${schema} ORDER BY table_name, index_name, seq_in_index`,
      );
      const byIndex = new Map<string, { t: string; i: string; u: boolean; columns: string[] }>();
      for (const r of indexes) {
        const entry = byIndex.get(`${r.t}.${r.i}`) ?? { t: r.t, i: r.i, u: Number(r.u) === 1, columns: [] };
        entry.columns.push(r.c);
        byIndex.set(`${r.t}.${r.i}`, entry);
      }
      for (const { t, i, u, columns } of byIndex.values()) {
        if (!shapes[t]) continue;
        shapes[t].indexes.push(columns);
        if (u) shapes[t].uniqueKeys.push(columns);
        if (i === 'PRIMARY') shapes[t].primaryKey = columns;
      }
      const fks = await rows<{ t: string; n: string; c: string; p: string; pc: string }>(
        `SELECT table_name AS t, constraint_name AS n, column_name AS c, referenced_table_name AS p, referenced_column_name AS pc
           FROM information_schema.key_column_usage WHERE ${schema} AND referenced_table_name IS NOT NULL ORDER BY table_name, constraint_name, ordinal_position`,
      );
      const byKey = new Map<string, { t: string; columns: string[]; parent: string; parentColumns: string[] }>();
      for (const r of fks) {
        const fk = byKey.get(`${r.t}.${r.n}`) ?? { t: r.t, columns: [], parent: r.p, parentColumns: [] };
        fk.columns.push(r.c);
        fk.parentColumns.push(r.pc);
        byKey.set(`${r.t}.${r.n}`, fk);
      }
      for (const { t, ...fk } of byKey.values()) shapes[t]?.foreignKeys.push(fk);
      return shapes;
    }
    for (const { t } of await rows<{ t: string }>("SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
      const info = await rows<{ name: string; pk: number }>('SELECT name, pk FROM pragma_table_info(?)', [t]);
      const primaryKey = info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      const shape: TableShape = { columns: info.map((c) => c.name), primaryKey, uniqueKeys: [primaryKey], indexes: [primaryKey], foreignKeys: [] };
      for (const index of await rows<{ name: string; unique: number; origin: string }>('SELECT name, "unique", origin FROM pragma_index_list(?)', [t])) {
        if (index.origin === 'pk') continue;
        const columns = (await rows<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [index.name])).map((c) => c.name);
        shape.indexes.push(columns);
        if (index.unique) shape.uniqueKeys.push(columns);
      }
      const fks = await rows<{ id: number; table: string; from: string; to: string }>(
        'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq',
        [t],
      );
      for (const id of new Set(fks.map((f) => f.id))) {
        const parts = fks.filter((f) => f.id === id);
        shape.foreignKeys.push({ columns: parts.map((f) => f.from), parent: parts[0].table, parentColumns: parts.map((f) => f.to) });
      }
      shapes[t] = shape;
    }
    return shapes;
  });
}
