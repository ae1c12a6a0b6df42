import { migrations } from '../../migrations';
import { BoxContents1764700000000 } from '../../migrations/1764700000000-box-contents';
import { PledgerCounts1764800000000 } from '../../migrations/1764800000000-pledger-counts';
import { SubscriptionRhythmAndPause1764910000000 } from '../../migrations/1764910000000-subscription-rhythm-and-pause';
import { VariantKeys1764920000000 } from '../../migrations/1764920000000-variant-keys';
import { UnexpectedPayments1764940000000 } from '../../migrations/1764940000000-unexpected-payments';
import { PhoneSignIn1764960000000 } from '../../migrations/1764960000000-phone-sign-in';
import { ForecastLineKinds1765000000000 } from '../../migrations/1765000000000-forecast-line-kinds';
import { PaymentCheckouts1765100000000 } from '../../migrations/1765100000000-payment-checkouts';
import { FactorySettlements1765210000000 } from '../../migrations/1765210000000-factory-settlements';
import { OrchardStatements1765220000000 } from '../../migrations/1765220000000-orchard-statements';
import { PaymentPayer1765300000000 } from '../../migrations/1765300000000-payment-payer';
import { ShopOwners1765400000000 } from '../../migrations/1765400000000-shop-owners';
import { StatementEntriesPerFactory1766800000000 } from '../../migrations/1766800000000-statement-entries-per-factory';
import { MaskedDisplayNames1766900000000 } from '../../migrations/1766900000000-masked-display-names';
import { openDatabase } from '../../src/platform/database';
import { freshDatabase } from '../support/database';

/** A database made before a migration, with data in it, migrated: nothing lost. */
describe('migrations keep the data they move', () => {
  test('box contents: every existing box keeps its items, ready-to-eat table and uncovered days; boxes with the same contents share one row', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(BoxContents1764700000000)));
    await before.migrate();
    const coverage = (portions: number) =>
      JSON.stringify([
        { date: '2027-07-05', neededPortions: 3, plannedPortions: portions, fruits: [{ fruitId: 'mango', portions }], extraPortions: 0, extras: [] },
      ]);
    const items = (portions: number) =>
      JSON.stringify([
        {
          fruitId: 'mango',
          units: portions,
          portions,
          uneatenPortions: 0,
          edibleFrom: '2027-07-05',
          edibleUntil: '2027-07-07',
          cost: '5.00',
          ripensFaster: false,
        },
      ]);
    const uncovered = (portions: number) =>
      JSON.stringify(portions < 3 ? [{ date: '2027-07-05', missingPortions: 3 - portions, reason: 'nothing_ready' }] : []);
    const boxes = [
      { id: '00000000-0000-4000-8000-000000000001', portions: 3 },
      { id: '00000000-0000-4000-8000-000000000002', portions: 3 },
      { id: '00000000-0000-4000-8000-000000000003', portions: 1 },
    ];
    await before.transaction(async (tx) => {
      for (const [i, box] of boxes.entries()) {
        await before.insertRows(tx, 'fruit_boxes', [
          {
            id: box.id,
            subscription_id: `00000000-0000-4000-8000-00000000010${i}`,
            user_id: '00000000-0000-4000-8000-000000000200',
            delivery_date: '2027-07-05',
            ship_date: '2027-07-04',
            cutoff_at: new Date('2027-07-02T14:00:00Z'),
            ship_by_at: new Date('2027-07-04T10:00:00Z'),
            status: 'planned',
            items: items(box.portions),
            coverage: coverage(box.portions),
            uncovered: uncovered(box.portions),
            cost_fen: 5000,
            price_fen: 9900,
            charge_attempts: 0,
            planned_at: new Date('2027-06-01T00:00:00Z'),
          },
        ]);
      }
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('BoxContents1764700000000');
      const rows = (await after.read((tx) =>
        tx.query('SELECT b.id, c.items, c.coverage, c.uncovered FROM fruit_boxes b JOIN fruit_box_contents c ON c.id = b.contents_id ORDER BY b.id'),
      )) as { id: string; items: string; coverage: string; uncovered: string }[];
      expect(rows.map((r) => [r.id, JSON.parse(r.items), JSON.parse(r.coverage), JSON.parse(r.uncovered)])).toEqual(
        boxes.map((b) => [b.id, JSON.parse(items(b.portions)), JSON.parse(coverage(b.portions)), JSON.parse(uncovered(b.portions))]),
      );
      const [{ n }] = (await after.read((tx) => tx.query('SELECT COUNT(*) AS n FROM fruit_box_contents'))) as { n: number | string }[];
      expect(Number(n)).toBe(2);
      // The table was rebuilt on SQLite: its unique key (one box per subscription and date) must have come through.
      const copy = (await after.read((tx) => tx.query('SELECT * FROM fruit_boxes WHERE id = ?', [boxes[0].id])))[0] as Record<string, string>;
      await expect(after.transaction((tx) => after.insertRows(tx, 'fruit_boxes', [{ ...copy, id: '00000000-0000-4000-8000-000000000009' }]))).rejects.toThrow(
        /unique|duplicate/i,
      );
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('pledger counts: each campaign counts the consumers with a paid pledge, once each, from the pledges already there', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(PledgerCounts1764800000000)));
    await before.migrate();
    const campaign = '00000000-0000-4000-8000-00000000c001';
    // Consumer a: two paid pledges; b: one paid, one expired; c: only an unpaid one.
    const pledges: [string, string][] = [
      ['a', 'active'],
      ['a', 'awaiting_balance'],
      ['b', 'forfeited'],
      ['b', 'expired'],
      ['c', 'awaiting_deposit'],
    ];
    await before.transaction((tx) =>
      before.insertRows(
        tx,
        'pledges',
        pledges.map(([user, status], i) => ({
          id: `00000000-0000-4000-8000-00000000000${i}`,
          campaign_id: campaign,
          user_id: `00000000-0000-4000-8000-0000000000a${user.charCodeAt(0) - 97}`,
          variant_key: 'size=M',
          quantity: 1,
          status,
          deposit_per_unit_fen: 10_000,
          deposit_fen: 10_000,
          deposit_payment_id: `00000000-0000-4000-8000-00000000010${i}`,
          expires_at: new Date(),
          created_at: new Date(),
          updated_at: new Date(),
        })),
      ),
    );
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('PledgerCounts1764800000000');
      const counts = (await after.read((tx) => tx.query('SELECT campaign_id, pledgers FROM pledger_counts'))) as {
        campaign_id: string;
        pledgers: number | string;
      }[];
      expect(counts.map((r) => [r.campaign_id, Number(r.pledgers)])).toEqual([[campaign, 2]]);
      const perConsumer = (await after.read((tx) => tx.query('SELECT user_id, paid_pledges FROM pledgers ORDER BY user_id'))) as {
        user_id: string;
        paid_pledges: number | string;
      }[];
      expect(perConsumer.map((r) => Number(r.paid_pledges))).toEqual([2, 1]);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('subscription rhythm and pause: existing subscriptions keep their delivery dates, and an existing pause its deliveries', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(SubscriptionRhythmAndPause1764910000000)));
    await before.migrate();
    // Monday 1 March 2027: Saturday deliveries start on the 6th, Monday ones on the 1st itself.
    const rows: [string, number, string][] = [
      ['1', 6, 'active'],
      ['2', 1, 'paused'],
      ['3', 6, 'cancelled'],
    ];
    await before.transaction((tx) =>
      before.insertRows(
        tx,
        'subscriptions',
        rows.map(([n, weekday, status]) => ({
          id: `00000000-0000-4000-8000-00000000000${n}`,
          user_id: '00000000-0000-4000-8000-0000000000a0',
          plan_id: 'weekly-family',
          start_date: '2027-03-01',
          delivery_weekday: weekday,
          region: 'shanghai',
          transit_days: 1,
          household_size: 3,
          exclusions: '[]',
          status,
          paused_until: status === 'paused' ? '2027-04-01' : null,
          created_at: new Date(),
          cancelled_at: null,
        })),
      ),
    );
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('SubscriptionRhythmAndPause1764910000000');
      const migrated = (await after.read((tx) => tx.query('SELECT first_delivery_date, paused_from, paused_until FROM subscriptions ORDER BY id'))) as Record<
        string,
        string | null
      >[];
      expect(migrated).toEqual([
        { first_delivery_date: '2027-03-06', paused_from: null, paused_until: null },
        { first_delivery_date: '2027-03-01', paused_from: '2027-03-01', paused_until: '2027-04-01' },
        { first_delivery_date: '2027-03-06', paused_from: null, paused_until: null },
      ]);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('unexpected payments: payments and refunds already there keep every field, in CNY; one transaction id per provider; a payment may name no consumer', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(UnexpectedPayments1764940000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-0000000000${String(n).padStart(2, '0')}`;
    const at = new Date('2027-01-01T00:00:00Z');
    const payment = {
      id: id(1),
      kind: 'deposit',
      provider: 'sandbox',
      pledge_id: id(2),
      campaign_id: id(3),
      box_id: null,
      user_id: id(4),
      amount_fen: 10_000,
      status: 'succeeded',
      created_at: at,
      settled_at: at,
    };
    await before.transaction(async (tx) => {
      await before.insertRows(tx, 'payments', [payment]);
      await before.insertRows(tx, 'refunds', [
        {
          id: id(5),
          payment_id: id(1),
          pledge_id: id(2),
          campaign_id: id(3),
          user_id: id(4),
          amount_fen: 10_000,
          reason: 'pledge_cancelled',
          status: 'pending',
          attempts: 0,
          last_error: null,
          created_at: at,
          succeeded_at: null,
        },
      ]);
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('UnexpectedPayments1764940000000');
      const [kept] = (await after.read((tx) =>
        tx.query('SELECT id, kind, pledge_id, user_id, amount_fen, status, currency, transaction_id FROM payments'),
      )) as Record<string, unknown>[];
      expect({ ...kept, amount_fen: Number(kept.amount_fen) }).toEqual({
        id: id(1),
        kind: 'deposit',
        pledge_id: id(2),
        user_id: id(4),
        amount_fen: 10_000,
        status: 'succeeded',
        currency: 'CNY',
        transaction_id: null,
      });
      const [refund] = (await after.read((tx) => tx.query('SELECT payment_id, user_id, reason FROM refunds'))) as Record<string, unknown>[];
      expect(refund).toEqual({ payment_id: id(1), user_id: id(4), reason: 'pledge_cancelled' });
      const unexpected = {
        ...payment,
        kind: 'unexpected',
        user_id: null,
        currency: 'USD',
        transaction_id: 'txn-1',
        reported_payment_id: id(9),
        unexpected_reason: 'unknown_payment',
      };
      await after.transaction((tx) => after.insertRows(tx, 'payments', [{ ...unexpected, id: id(6) }]));
      await expect(after.transaction((tx) => after.insertRows(tx, 'payments', [{ ...unexpected, id: id(7) }]))).rejects.toThrow(/unique|duplicate/i);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('variant keys: keys written with raw values are rewritten with "=", ";" and "%" escaped, everywhere a key is kept; plain keys are left as they were', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(VariantKeys1764920000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const [factory, odd, plain, batch] = [id(1), id(2), id(3), id(4)];
    const now = new Date('2026-12-01T00:00:00Z');
    // fit "slim;size=L" with size M and fit "slim" with size "L;size=M" were both written "fit=slim;size=L;size=M".
    const oddOptions = [
      { name: 'fit', values: ['slim;size=L', 'slim', '100%'] },
      { name: 'size', values: ['M', 'L;size=M'] },
    ];
    const keys = { shared: 'fit=slim;size=L;size=M', percent: 'fit=100%;size=M', plain: 'colour=navy;size=L' };
    await before.transaction(async (tx) => {
      await before.insertRows(tx, 'factories', [{ id: factory, name: 'F', kind: 'manufacturer', contact_email: 'f@example.com', created_at: now }]);
      const campaign = (cid: string, options: unknown, dropped: string[]) => ({
        id: cid,
        factory_id: factory,
        title: 'T',
        product_name: 'P',
        description: '',
        options: JSON.stringify(options),
        reference_price_fen: 10_000,
        deposit_rate: '0.10',
        deposit_fen: 1000,
        deposit_credit_rate: '1',
        tiers: JSON.stringify([{ minUnits: 1, unitPriceFen: '9000' }]),
        opens_at: now,
        closes_at: now,
        balance_window_hours: 24,
        expected_ship_date: '2027-01-01',
        status: 'succeeded',
        reserved_units: 3,
        dropped_variants: JSON.stringify(dropped),
        created_at: now,
      });
      await before.insertRows(tx, 'campaigns', [
        campaign(odd, oddOptions, [keys.percent]),
        campaign(
          plain,
          [
            { name: 'colour', values: ['navy'] },
            { name: 'size', values: ['L'] },
          ],
          [],
        ),
      ]);
      const pledges: [string, string][] = [
        [odd, keys.shared],
        [odd, keys.percent],
        [plain, keys.plain],
      ];
      await before.insertRows(
        tx,
        'pledges',
        pledges.map(([cid, key], i) => ({
          id: id(100 + i),
          campaign_id: cid,
          user_id: id(200),
          variant_key: key,
          quantity: 1,
          status: 'active',
          deposit_per_unit_fen: 1000,
          deposit_fen: 1000,
          deposit_payment_id: id(300 + i),
          expires_at: now,
          created_at: now,
          updated_at: now,
        })),
      );
      await before.insertRows(
        tx,
        'pledge_tallies',
        pledges.map(([cid, key]) => ({ campaign_id: cid, variant_key: key, active_units: 1 })),
      );
      // `trigger` and `change` are reserved words on MySQL: every column back-quoted (which SQLite reads too).
      const insert = (table: string, row: Record<string, string | number | Date>) =>
        before.sql(
          tx,
          `INSERT INTO ${table} (${Object.keys(row)
            .map((c) => `\`${c}\``)
            .join(', ')}) VALUES (${Object.keys(row)
            .map(() => '?')
            .join(', ')})`,
          Object.values(row),
        );
      await insert('forecast_batches', {
        id: batch,
        factory_id: factory,
        version: 1,
        trigger: 'operator',
        published_at: now,
        line_count: 3,
        firm_units: 3,
        expected_units: 3,
      });
      for (const [i, [cid, key]] of pledges.entries()) {
        await insert('forecast_lines', {
          id: id(400 + i),
          batch_id: batch,
          line_no: i + 1,
          campaign_id: cid,
          campaign_title: 'T',
          product_name: 'P',
          variant: key,
          ship_week: '2027-W01',
          firm_units: 1,
          expected_units: 1,
          low_units: 1,
          high_units: 1,
          change: 'new',
        });
      }
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('VariantKeys1764920000000');
      const column = async (sql: string) => ((await after.read((tx) => tx.query(sql))) as { k: string }[]).map((r) => r.k);
      const expected = ['colour=navy;size=L', 'fit=100%25;size=M', 'fit=slim%3Bsize%3DL;size=M'];
      expect(await column('SELECT variant_key AS k FROM pledges ORDER BY variant_key')).toEqual(expected);
      expect(await column('SELECT variant_key AS k FROM pledge_tallies ORDER BY variant_key')).toEqual(expected);
      expect(await column('SELECT variant AS k FROM forecast_lines ORDER BY variant')).toEqual(expected);
      expect(await column(`SELECT dropped_variants AS k FROM campaigns WHERE id = '${odd}'`)).toEqual([JSON.stringify(['fit=100%25;size=M'])]);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('phone sign-in: accounts made before keep their email, password and sessions; email and password become optional, phones unique', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(PhoneSignIn1764960000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const now = new Date('2026-12-01T00:00:00Z');
    await before.transaction(async (tx) => {
      await before.insertRows(
        tx,
        'users',
        [1, 2].map((n) => ({
          id: id(n),
          email: `user${n}@example.com`,
          password_hash: `$argon2id$hash${n}`,
          role: 'consumer',
          factory_id: null,
          display_name: `user ${n}`,
          created_at: now,
        })),
      );
      await before.insertRows(tx, 'sessions', [{ id: id(10), user_id: id(1), created_at: now, expires_at: now }]);
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('PhoneSignIn1764960000000');
      const users = (await after.read((tx) => tx.query('SELECT id, email, password_hash, phone, display_name FROM users ORDER BY id'))) as Record<
        string,
        unknown
      >[];
      expect(users).toEqual(
        [1, 2].map((n) => ({ id: id(n), email: `user${n}@example.com`, password_hash: `$argon2id$hash${n}`, phone: null, display_name: `user ${n}` })),
      );
      expect(await after.read((tx) => tx.query('SELECT user_id FROM sessions'))).toEqual([{ user_id: id(1) }]);
      const phoneUser = (n: number, phone: string, email: string | null = null) => ({
        id: id(n),
        email,
        password_hash: null,
        phone,
        role: 'consumer',
        factory_id: null,
        display_name: 'p',
        created_at: now,
      });
      // Two phone-only accounts (no email, no password) live side by side; a phone, or an email, is still one account's.
      await after.transaction((tx) => after.insertRows(tx, 'users', [phoneUser(3, '+8613800000001'), phoneUser(4, '+8613800000002')]));
      await expect(after.transaction((tx) => after.insertRows(tx, 'users', [phoneUser(5, '+8613800000001')]))).rejects.toThrow(/unique|duplicate/i);
      await expect(after.transaction((tx) => after.insertRows(tx, 'users', [phoneUser(6, '+8613800000009', 'user1@example.com')]))).rejects.toThrow(
        /unique|duplicate/i,
      );
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('forecast line kinds: supply lines (a fruit key in campaign_id) become kind supply with that source key and no campaign; campaign lines keep their campaign; commitments stay', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(ForecastLineKinds1765000000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const [factory, campaign, batch] = [id(1), id(2), id(3)];
    const now = new Date('2026-12-01T00:00:00Z');
    const lines: [number, string, string][] = [
      [10, campaign, 'size=M'],
      [11, 'fruit:mango', 'kg'],
      [12, 'fruit:apple', 'kg'],
    ];
    await before.transaction(async (tx) => {
      // `trigger` and `change` are reserved words on MySQL: every column back-quoted (which SQLite reads too).
      const insert = (table: string, row: Record<string, string | number | Date>) =>
        before.sql(
          tx,
          `INSERT INTO ${table} (${Object.keys(row)
            .map((c) => `\`${c}\``)
            .join(', ')}) VALUES (${Object.keys(row)
            .map(() => '?')
            .join(', ')})`,
          Object.values(row),
        );
      await before.insertRows(tx, 'factories', [{ id: factory, name: 'Orchard', kind: 'orchard', contact_email: 'f@example.com', created_at: now }]);
      await insert('forecast_batches', {
        id: batch,
        factory_id: factory,
        version: 1,
        trigger: 'operator',
        published_at: now,
        line_count: 3,
        firm_units: 3,
        expected_units: 3,
      });
      for (const [i, [n, key, variant]] of lines.entries()) {
        await insert('forecast_lines', {
          id: id(n),
          batch_id: batch,
          line_no: i + 1,
          campaign_id: key,
          campaign_title: 'T',
          product_name: 'P',
          variant,
          ship_week: '2027-W01',
          firm_units: 1,
          expected_units: 1,
          low_units: 1,
          high_units: 1,
          change: 'new',
        });
      }
      await insert('forecast_commitments', {
        line_id: id(11),
        batch_id: batch,
        quantity: 1,
        ship_by: '2027-01-04',
        committed_at: now,
        committed_by: 'f@example.com',
      });
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('ForecastLineKinds1765000000000');
      const rows = (await after.read((tx) => tx.query('SELECT id, kind, source_key, campaign_id, variant FROM forecast_lines ORDER BY id'))) as Record<
        string,
        unknown
      >[];
      expect(rows).toEqual([
        { id: id(10), kind: 'campaign', source_key: campaign, campaign_id: campaign, variant: 'size=M' },
        { id: id(11), kind: 'supply', source_key: 'fruit:mango', campaign_id: null, variant: 'kg' },
        { id: id(12), kind: 'supply', source_key: 'fruit:apple', campaign_id: null, variant: 'kg' },
      ]);
      expect(await after.read((tx) => tx.query('SELECT line_id, quantity FROM forecast_commitments'))).toEqual([{ line_id: id(11), quantity: 1 }]);
      // A line must still say what it is and where it comes from.
      await expect(after.transaction((tx) => after.sql(tx, 'UPDATE forecast_lines SET kind = NULL WHERE id = ?', [id(10)]))).rejects.toThrow(/null/i);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('payment checkouts: payments and refunds already there keep their rows and are not asked about; a checkout names a payment that exists', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(PaymentCheckouts1765100000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const at = new Date('2027-01-01T00:00:00Z');
    await before.transaction(async (tx) => {
      await before.insertRows(tx, 'payments', [
        { id: id(1), kind: 'deposit', provider: 'sandbox', user_id: id(4), amount_fen: 10_000, status: 'pending', currency: 'CNY', created_at: at },
      ]);
      await before.insertRows(tx, 'refunds', [
        { id: id(5), payment_id: id(1), user_id: id(4), amount_fen: 10_000, reason: 'pledge_cancelled', status: 'failed', attempts: 2, created_at: at },
      ]);
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('PaymentCheckouts1765100000000');
      expect(await after.read((tx) => tx.query('SELECT id, status, next_query_at FROM payments'))).toEqual([
        { id: id(1), status: 'pending', next_query_at: null },
      ]);
      expect(await after.read((tx) => tx.query('SELECT id, status, attempts, next_query_at FROM refunds'))).toEqual([
        { id: id(5), status: 'failed', attempts: 2, next_query_at: null },
      ]);
      const checkout = { provider: 'wechatpay', channel: 'qr', created_at: at, expires_at: at };
      await after.transaction((tx) => after.insertRows(tx, 'payment_checkouts', [{ ...checkout, id: id(6), payment_id: id(1) }]));
      await expect(after.transaction((tx) => after.insertRows(tx, 'payment_checkouts', [{ ...checkout, id: id(7), payment_id: id(9) }]))).rejects.toThrow(
        /foreign key/i,
      );
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('factory settlements: journal entries already written keep every field and name no payout; an entry is counted in one statement at most', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(FactorySettlements1765210000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const at = new Date('2026-12-01T00:00:00Z');
    await before.transaction(async (tx) => {
      await before.insertRows(tx, 'journal_entries', [{ id: id(1), kind: 'deposit_forfeited', campaign_id: id(2), pledge_id: id(3), created_at: at }]);
      await before.insertRows(tx, 'journal_lines', [
        { id: id(4), entry_id: id(1), account: `held_deposits:${id(2)}`, amount_fen: 12345 },
        { id: id(5), entry_id: id(1), account: `factory_payable:${id(6)}`, amount_fen: -12345 },
      ]);
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('FactorySettlements1765210000000');
      const [entry] = (await after.read((tx) => tx.query('SELECT id, kind, campaign_id, pledge_id, payout_id FROM journal_entries'))) as Record<
        string,
        unknown
      >[];
      expect(entry).toEqual({ id: id(1), kind: 'deposit_forfeited', campaign_id: id(2), pledge_id: id(3), payout_id: null });
      const lines = (await after.read((tx) => tx.query('SELECT account, amount_fen FROM journal_lines ORDER BY id'))) as {
        account: string;
        amount_fen: string | number;
      }[];
      expect(lines.map((l) => [l.account, Number(l.amount_fen)])).toEqual([
        [`held_deposits:${id(2)}`, 12345],
        [`factory_payable:${id(6)}`, -12345],
      ]);
      // An entry is counted in one statement of a factory at most: the entry and the factory are the key (since StatementEntriesPerFactory).
      const row = { entry_id: id(1), factory_id: id(6), statement_id: id(7) };
      await after.transaction((tx) => after.insertRows(tx, 'factory_statement_entries', [row]));
      await expect(after.transaction((tx) => after.insertRows(tx, 'factory_statement_entries', [{ ...row, statement_id: id(8) }]))).rejects.toThrow();
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test("orchard statements: a campaign's statement already there keeps every figure, its campaign and its unique sequence, and supplied no fruit", async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(OrchardStatements1765220000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const figures = {
      balances_received_fen: 128000,
      deposits_applied_fen: 16000,
      deposits_forfeited_fen: 8000,
      platform_fee_fen: 7200,
      refunds_fen: 0,
      adjustments_fen: 0,
      net_fen: 144800,
    };
    const statement = {
      id: id(1),
      factory_id: id(2),
      campaign_id: id(3),
      sequence: 1,
      ...figures,
      entry_count: 3,
      payout_id: id(4),
      created_at: new Date('2026-12-01T00:00:00Z'),
    };
    await before.transaction((tx) => before.insertRows(tx, 'factory_statements', [statement]));
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('OrchardStatements1765220000000');
      const [row] = (await after.read((tx) => tx.query('SELECT * FROM factory_statements'))) as Record<string, unknown>[];
      const numbers = (r: Record<string, unknown>) => Object.fromEntries(Object.keys(figures).map((k) => [k, Number(r[k])]));
      expect(numbers(row)).toEqual(figures);
      expect({
        campaign: row.campaign_id,
        payout: row.payout_id,
        period: row.period,
        fruit: Number(row.fruit_supplied_fen),
        entries: Number(row.entry_count),
      }).toEqual({
        campaign: id(3),
        payout: id(4),
        period: null,
        fruit: 0,
        entries: 3,
      });
      // A campaign's sequence stays unique; an orchard's week needs no campaign.
      await expect(
        after.transaction((tx) => after.insertRows(tx, 'factory_statements', [{ ...statement, id: id(5), fruit_supplied_fen: 0 }])),
      ).rejects.toThrow();
      await after.transaction((tx) =>
        after.insertRows(tx, 'factory_statements', [{ ...statement, id: id(6), campaign_id: null, period: '2027-W09', fruit_supplied_fen: 100 }]),
      );
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('payment payer: payments already there keep every field and know no payer; a new one keeps its payer', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(PaymentPayer1765300000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const at = new Date('2027-01-01T00:00:00Z');
    const paid = { kind: 'deposit', provider: 'wechatpay', user_id: id(4), amount_fen: 10_000, status: 'succeeded', currency: 'CNY', created_at: at };
    await before.transaction((tx) => before.insertRows(tx, 'payments', [{ ...paid, id: id(1), transaction_id: '4200000001' }]));
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('PaymentPayer1765300000000');
      await after.transaction((tx) =>
        after.insertRows(tx, 'payments', [{ ...paid, id: id(2), transaction_id: '4200000002', payer: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }]),
      );
      const rows = (await after.read((tx) => tx.query('SELECT id, status, amount_fen, transaction_id, payer FROM payments ORDER BY id'))) as Record<
        string,
        unknown
      >[];
      expect(rows.map((r) => ({ ...r, amount_fen: Number(r.amount_fen) }))).toEqual([
        { id: id(1), status: 'succeeded', amount_fen: 10_000, transaction_id: '4200000001', payer: null },
        { id: id(2), status: 'succeeded', amount_fen: 10_000, transaction_id: '4200000002', payer: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      ]);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('shop owners: pledges already there keep every field and are attributed to no shop; a new one keeps its shop', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(ShopOwners1765400000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const at = new Date('2027-01-01T00:00:00Z');
    const pledge = {
      campaign_id: id(10),
      user_id: id(11),
      variant_key: 'colour=black',
      quantity: 2,
      status: 'active',
      deposit_per_unit_fen: 5_000,
      deposit_fen: 10_000,
      expires_at: at,
      created_at: at,
      updated_at: at,
    };
    await before.transaction((tx) => before.insertRows(tx, 'pledges', [{ ...pledge, id: id(1), deposit_payment_id: id(21) }]));
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('ShopOwners1765400000000');
      await after.transaction((tx) => after.insertRows(tx, 'pledges', [{ ...pledge, id: id(2), deposit_payment_id: id(22), shop_id: id(30) }]));
      const rows = (await after.read((tx) => tx.query('SELECT id, status, quantity, deposit_fen, shop_id FROM pledges ORDER BY id'))) as Record<
        string,
        unknown
      >[];
      expect(rows.map((r) => ({ ...r, deposit_fen: Number(r.deposit_fen) }))).toEqual([
        { id: id(1), status: 'active', quantity: 2, deposit_fen: 10_000, shop_id: null },
        { id: id(2), status: 'active', quantity: 2, deposit_fen: 10_000, shop_id: id(30) },
      ]);
    } finally {
      await after.close();
      await database.drop();
    }
  });

  test('statement entries per factory: entries already counted keep their statement and take its factory; an entry may then be counted once for each factory', async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(StatementEntriesPerFactory1766800000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const statement = (n: number, factory: number, week: string | null) => ({
      id: id(n),
      factory_id: id(factory),
      campaign_id: week ? null : id(30),
      period: week,
      sequence: 1,
      balances_received_fen: 0,
      deposits_applied_fen: 0,
      deposits_forfeited_fen: 0,
      platform_fee_fen: 0,
      fruit_supplied_fen: 0,
      refunds_fen: 0,
      adjustments_fen: 0,
      net_fen: 0,
      entry_count: 2,
      payout_id: null,
      created_at: new Date('2027-03-08T00:00:00Z'),
    });
    await before.transaction(async (tx) => {
      await before.insertRows(tx, 'factory_statements', [statement(1, 11, null), statement(2, 12, '2027-W09')]);
      await before.insertRows(tx, 'factory_statement_entries', [
        { entry_id: id(21), statement_id: id(1) },
        { entry_id: id(22), statement_id: id(1) },
        { entry_id: id(23), statement_id: id(2) },
        { entry_id: id(24), statement_id: id(2) },
      ]);
    });
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('StatementEntriesPerFactory1766800000000');
      const rows = await after.read((tx) => tx.query('SELECT entry_id, factory_id, statement_id FROM factory_statement_entries ORDER BY entry_id'));
      expect(rows).toEqual([
        { entry_id: id(21), factory_id: id(11), statement_id: id(1) },
        { entry_id: id(22), factory_id: id(11), statement_id: id(1) },
        { entry_id: id(23), factory_id: id(12), statement_id: id(2) },
        { entry_id: id(24), factory_id: id(12), statement_id: id(2) },
      ]);
      // A box's entry counted for a second orchard, on that orchard's statement; never twice for one factory.
      await after.transaction((tx) => after.insertRows(tx, 'factory_statement_entries', [{ entry_id: id(23), factory_id: id(13), statement_id: id(3) }]));
      await expect(
        after.transaction((tx) => after.insertRows(tx, 'factory_statement_entries', [{ entry_id: id(23), factory_id: id(12), statement_id: id(4) }])),
      ).rejects.toThrow();
      await expect(
        after.transaction((tx) => after.insertRows(tx, 'factory_statement_entries', [{ entry_id: id(25), factory_id: null, statement_id: id(4) }])),
      ).rejects.toThrow();
      const ofStatement = await after.read((tx) =>
        tx.query('SELECT entry_id FROM factory_statement_entries WHERE statement_id = ? ORDER BY entry_id', [id(2)]),
      );
      expect(ofStatement).toEqual([{ entry_id: id(23) }, { entry_id: id(24) }]);
    } finally {
      await after.close();
      await database.drop();
    }
  });
  test("consumers named by their email's local part (the old default) are named by the masked email; a chosen name, staff and phone accounts are kept", async () => {
    const database = await freshDatabase();
    const before = await openDatabase(database.config, [], migrations.slice(0, migrations.indexOf(MaskedDisplayNames1766900000000)));
    await before.migrate();
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const user = (n: number, role: string, email: string | null, name: string, phone: string | null = null) => ({
      id: id(n),
      email,
      password_hash: email ? 'x' : null,
      role,
      factory_id: null,
      display_name: name,
      created_at: new Date('2026-11-01T00:00:00Z'),
      phone,
      disabled_at: null,
    });
    await before.transaction((tx) =>
      before.insertRows(tx, 'users', [
        user(1, 'consumer', '13812345678@139.com', '13812345678'),
        user(2, 'consumer', 'li.lei@example.com', '李雷'),
        user(3, 'operator', 'ops@example.com', 'ops'),
        user(4, 'consumer', null, '+86 138****0000', '+8613800000000'),
      ]),
    );
    await before.close();

    const after = await openDatabase(database.config, [], migrations);
    try {
      expect(await after.migrate()).toContain('MaskedDisplayNames1766900000000');
      const rows = await after.read((tx) => tx.query('SELECT id, display_name FROM users ORDER BY id'));
      expect(rows.map((r: { display_name: string }) => r.display_name)).toEqual(['1***@139.com', '李雷', 'ops', '+86 138****0000']);
    } finally {
      await after.close();
      await database.drop();
    }
  });
});
