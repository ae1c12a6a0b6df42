import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import { type TestApp, startTestApp } from '../support/app';
import { type Caller, aConsumer, aFactory, anOperator } from '../support/builders';
import { anOpenCampaign, expectLedgerReconciles, pledge, sandboxSettles } from '../support/campaigns';
import { TestClock, runDue } from '../support/clock';
import { SHARD_PLAN } from '../support/shard-plan';

/**
 * The service on a sharded MySQL-compatible database that runs on this machine: MariaDB's Spider engine, a head
 * server whose tables are spread over three shard servers by the shard keys of test/support/shard-plan.ts. Not part
 * of `npm test`: `scripts/spider-check.sh` starts the four servers and runs this file, which writes what worked and
 * what had to change to docs/scaling-out-spider.md. Spider is not Vitess or TiDB (docs/scaling-out.md says what it
 * does and does not stand for); it checks that our statements, routed by a shard key through a proxy, still work.
 */
const HEAD = process.env.SPIDER_HEAD_URL ?? 'mysql://root@127.0.0.1:3321';
const SHARDS = (process.env.SPIDER_SHARD_URLS ?? 'mysql://root@127.0.0.1:3322,mysql://root@127.0.0.1:3323,mysql://root@127.0.0.1:3324').split(',');
const NAME = 'c2m_spider';
const REPORT = path.join(__dirname, '../../docs/scaling-out-spider.md');

const connect = (url: string, database?: string) => {
  const u = new URL(url);
  return createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database });
};

const findings: { step: string; outcome: string; detail: string }[] = [];
async function step<T>(name: string, work: () => Promise<T>, detail = ''): Promise<T> {
  try {
    const result = await work();
    findings.push({ step: name, outcome: 'works', detail });
    return result;
  } catch (error) {
    findings.push({ step: name, outcome: 'FAILS', detail: String((error as Error).message).split('\n')[0] });
    throw error;
  }
}

let t: TestApp;
let head: Connection;
let shards: Connection[];
const clock = new TestClock();

beforeAll(async () => {
  for (const url of [HEAD, ...SHARDS]) {
    const admin = await connect(url);
    await admin.query(`DROP DATABASE IF EXISTS ${NAME}`);
    await admin.query(`CREATE DATABASE ${NAME} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
  }
  head = await connect(HEAD, NAME);
  shards = await Promise.all(SHARDS.map((url) => connect(url, NAME)));
  for (const s of shards) await s.query("SET GLOBAL log_output = 'TABLE', GLOBAL general_log = 1");
  for (const [i, url] of SHARDS.entries()) {
    const u = new URL(url);
    await head.query(`DROP SERVER IF EXISTS shard${i}`);
    await head.query(`CREATE SERVER shard${i} FOREIGN DATA WRAPPER mysql OPTIONS (HOST ?, PORT ?, USER ?, PASSWORD ?, DATABASE ?)`, [
      u.hostname,
      Number(u.port),
      decodeURIComponent(u.username),
      decodeURIComponent(u.password),
      NAME,
    ]);
  }
  t = await step('migrations on the head server', () =>
    startTestApp({ clock, database: { config: { kind: 'mysql', url: `${HEAD}/${NAME}` }, drop: async () => {} } }),
  );
});

afterAll(async () => {
  const rows = findings.map((f) => `| ${f.step} | ${f.outcome} | ${f.detail.replaceAll('|', '\\|')} |`).join('\n');
  writeFileSync(
    REPORT,
    `# The service on MariaDB Spider: what ran, what had to change\n\nWritten by \`scripts/spider-check.sh\` (test/compat/spider.test.ts) on ${new Date().toISOString()}: a head MariaDB with the Spider engine and ${SHARDS.length} shard servers, the tables of test/support/shard-plan.ts spread over them by their shard key (\`PARTITION BY KEY\`), the rest on the head. What it stands for and what not: docs/scaling-out.md § 6.\n\n| step | outcome | detail |\n|---|---|---|\n${rows}\n`,
  );
  await t?.close();
  await head?.end();
  await Promise.all((shards ?? []).map((s) => s.end()));
});

/** Moves a table onto the shards: the same table on each shard server, and on the head a Spider table partitioned by the shard key. */
async function shard(table: string, column: string): Promise<string[]> {
  const changes: string[] = [];
  const [[created]] = (await head.query(`SHOW CREATE TABLE \`${table}\``)) as unknown as [{ 'Create Table': string }[]];
  // The shards keep the table as migrated, its unique keys too (enforced within a shard), without foreign keys.
  const local = created['Create Table'].replace(/,\s*CONSTRAINT `[^`]+` FOREIGN KEY [^\n]*/g, '');
  for (const s of shards) await s.query(local);
  const [fks] = (await head.query(
    `SELECT table_name AS t, constraint_name AS n FROM information_schema.referential_constraints
      WHERE constraint_schema = DATABASE() AND (table_name = ? OR referenced_table_name = ?)`,
    [table, table],
  )) as unknown as [{ t: string; n: string }[]];
  for (const fk of fks) {
    await head.query(`ALTER TABLE \`${fk.t}\` DROP FOREIGN KEY \`${fk.n}\``);
    changes.push(`foreign key ${fk.n} dropped`);
  }
  const [keys] = (await head.query(
    `SELECT index_name AS i, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS c FROM information_schema.statistics
      WHERE table_schema = DATABASE() AND table_name = ? AND non_unique = 0 GROUP BY index_name`,
    [table],
  )) as unknown as [{ i: string; c: string }[]];
  for (const key of keys.filter((k) => !k.c.split(',').includes(column))) {
    // A partitioned table's unique keys must hold the partitioning column: the head's primary key gets it, other unique keys stay on the shards only.
    if (key.i === 'PRIMARY') await head.query(`ALTER TABLE \`${table}\` DROP PRIMARY KEY, ADD PRIMARY KEY (${key.c}, ${column})`);
    else await head.query(`ALTER TABLE \`${table}\` DROP INDEX \`${key.i}\``);
    changes.push(key.i === 'PRIMARY' ? `primary key (${key.c}) → (${key.c}, ${column}) on the head` : `unique (${key.c}) enforced within a shard only`);
  }
  const partitions = shards.map((_, i) => `PARTITION p${i} COMMENT = 'srv "shard${i}"'`).join(', ');
  await head.query(`ALTER TABLE \`${table}\` ENGINE = SPIDER COMMENT = 'wrapper "mysql", table "${table}"' PARTITION BY KEY (${column}) (${partitions})`);
  return changes;
}

/**
 * Runs `work` and says which statements each shard server received meanwhile (from its general log), by table and
 * verb: what the head sent to one shard and what it sent to all of them (a scatter).
 */
async function routed<T>(work: () => Promise<T>): Promise<{ result: T; perShard: Map<string, number>[] }> {
  for (const s of shards) await s.query('TRUNCATE mysql.general_log');
  const result = await work();
  const perShard = await Promise.all(
    shards.map(async (s) => {
      const [rows] = (await s.query(
        "SELECT CONVERT(argument USING utf8mb4) AS q FROM mysql.general_log WHERE command_type = 'Query' AND thread_id <> CONNECTION_ID()",
      )) as unknown as [{ q: string }[]];
      const counts = new Map<string, number>();
      for (const { q } of rows) {
        const match = /^\s*(select|insert|update|delete|replace)\b(?:[\s\S]*?\b(?:from|into)\b)?\s*`[^`]+`\.`([^`]+)`/i.exec(q);
        if (!match) continue;
        const key = `${match[2]} ${match[1].toUpperCase()}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    }),
  );
  return { result, perShard };
}

/** Routing of a step, as a finding: what reached the campaign's own shard, and what reached the others too. */
function routing(perShard: Map<string, number>[], home: number): string {
  const list = (counts: Map<string, number>) =>
    [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ') || 'nothing';
  const others = perShard.filter((_, i) => i !== home);
  return `its shard: ${list(perShard[home])}; the other shards: ${others.map(list).join(' / ')}`;
}

/** How many rows of `table` with `column = value` each shard server holds. */
async function rowsPerShard(table: string, column: string, value: string): Promise<number[]> {
  return Promise.all(
    shards.map(async (s) =>
      Number(((await s.query(`SELECT COUNT(*) AS n FROM \`${table}\` WHERE ${column} = ?`, [value])) as unknown as [{ n: number }[]])[0][0].n),
    ),
  );
}

test('the pledge path, the forecast, "my pledges" and a settlement, on tables sharded by the plan', async () => {
  for (const [table, placement] of Object.entries(SHARD_PLAN)) {
    if (!('shardBy' in placement)) continue;
    const changes = await step(`shard ${table} by ${placement.shardBy}`, () => shard(table, placement.shardBy));
    findings[findings.length - 1].detail = changes.join('; ');
  }

  const operator = await step('sign-in (users and sessions sharded)', () => anOperator(t));
  const factory = await step('a factory and its portal user', () => aFactory(t, operator));
  const consumers: Caller[] = await step('20 consumers sign up', () => Promise.all(Array.from({ length: 20 }, () => aConsumer(t))));
  const usersPerShard = await Promise.all(
    shards.map(async (s) => Number(((await s.query('SELECT COUNT(*) AS n FROM users')) as unknown as [{ n: number }[]])[0][0].n)),
  );
  findings[findings.length - 1].detail = `users per shard: ${usersPerShard.join(' / ')} (the operator and the factory user included)`;
  const [hot, other] = await step('two campaigns published', () =>
    Promise.all([anOpenCampaign(t, operator, factory.id, clock, { maxUnits: 60 }), anOpenCampaign(t, operator, factory.id, clock)]),
  );

  const variant = { colour: 'black', size: 'M' };
  const home = (await rowsPerShard('campaigns', 'id', hot.id)).findIndex((n) => n === 1);
  /** A step whose statements are traced on the shards: its finding says where they went. */
  const tracedStep = async <T>(name: string, work: () => Promise<T>, detail = '') => {
    const { result, perShard } = await step(name, () => routed(work));
    findings[findings.length - 1].detail = [detail, routing(perShard, home)].filter(Boolean).join('. ');
    return result;
  };

  const answers = await tracedStep(
    '80 pledges at once on a campaign capped at 60 (group commit: multi-row inserts, tally upserts, one conditional UPDATE)',
    async () => {
      const all = await Promise.all(Array.from({ length: 80 }, (_, i) => pledge(t, consumers[i % 20], hot.id, variant, 1)));
      const statuses = all.map((r) => r.status);
      if (statuses.filter((s) => s === 201).length !== 60 || statuses.filter((s) => s === 409).length !== 20)
        throw new Error(`answers: ${JSON.stringify(statuses.reduce((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {} as Record<number, number>))}`);
      return all.filter((r) => r.status === 201);
    },
    '60 answered 201, 20 answered 409 sold out',
  );
  await step('a pledge on the second campaign', async () => {
    const res = await pledge(t, consumers[0], other.id, variant, 2);
    if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  });

  await step(
    "one campaign's rows are on one shard",
    async () => {
      const placed: Record<string, number[]> = {};
      for (const table of ['pledges', 'payments', 'pledge_tallies', 'pledge_days']) placed[table] = await rowsPerShard(table, 'campaign_id', hot.id);
      for (const [table, counts] of Object.entries(placed))
        if (counts.some((n, i) => i !== home && n > 0)) throw new Error(`${table} spread: ${counts.join(', ')}`);
      const [[row]] = (await shards[home].query('SELECT reserved_units AS r FROM campaigns WHERE id = ?', [hot.id])) as unknown as [{ r: number }[]];
      if (row.r !== 60 || placed.pledges[home] !== 60) throw new Error(`reserved ${row.r}, pledges ${placed.pledges[home]}`);
    },
    'pledges, payments, tallies, days and the campaign row of the hot campaign all on one shard server; reserved_units = 60 = its pledges (no oversell)',
  );

  await tracedStep('60 deposits confirmed at once (the notification batch: payments, pledges, tallies, ledger, notifications)', () =>
    Promise.all(answers.map((r) => sandboxSettles(t, r.body.depositPayment.id))),
  );

  await tracedStep('the live forecast of the factory (GET /v1/factory/forecast: the tallies of its campaigns)', async () => {
    const res = await t.http.get('/v1/factory/forecast').set(factory.user.auth);
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  });

  await tracedStep("a consumer's pledges across campaigns (GET /v1/me/pledges: pledges by user_id)", async () => {
    const res = await t.http.get('/v1/me/pledges').set(consumers[0].auth);
    const [[row]] = (await head.query('SELECT COUNT(*) AS n FROM pledges WHERE user_id = ?', [consumers[0].userId])) as unknown as [{ n: number }[]];
    if (res.status !== 200 || res.body.items.length !== Number(row.n)) throw new Error(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  });

  await tracedStep('the close and the settle batch (every pledge to awaiting_balance, tallies moved, consumers told)', async () => {
    await t.http.post(`/v1/campaigns/${hot.id}/close`).set(operator.auth).expect(200);
    await runDue(t, clock);
    const [[row]] = (await head.query("SELECT COUNT(*) AS n FROM pledges WHERE campaign_id = ? AND status = 'awaiting_balance'", [hot.id])) as unknown as [
      { n: number }[],
    ];
    if (Number(row.n) !== 60) throw new Error(`${row.n} of 60 pledges awaiting their balance`);
  });

  await step('the ledger reconciles (every balance, every tally against the pledges)', () => expectLedgerReconciles(t));
  expect(findings.filter((f) => f.outcome !== 'works')).toEqual([]);
});
