import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CampaignProgress, ProgressSource } from '../campaigns';
import { businessDay } from '../platform/calendar';
import type { Database, Tx } from '../platform/database';
import { PAID_STATUSES, PLEDGE_STATUSES, type PledgeRow, type PledgeStatus } from './pledge.entity';

/** Units of one variant of one campaign in each pledge status. */
@Entity('pledge_tallies')
export class PledgeTallyRow {
  @PrimaryColumn({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @PrimaryColumn({ name: 'variant_key', type: 'varchar', length: 255 }) variantKey: string;
  @Column({ name: 'awaiting_deposit_units', type: 'integer' }) awaiting_deposit: number;
  @Column({ name: 'active_units', type: 'integer' }) active: number;
  @Column({ name: 'awaiting_balance_units', type: 'integer' }) awaiting_balance: number;
  @Column({ name: 'paid_units', type: 'integer' }) paid: number;
  @Column({ name: 'expired_units', type: 'integer' }) expired: number;
  @Column({ name: 'cancelled_units', type: 'integer' }) cancelled: number;
  @Column({ name: 'refunded_units', type: 'integer' }) refunded: number;
  @Column({ name: 'forfeited_units', type: 'integer' }) forfeited: number;
}

/** One campaign's pledging on one business day (Asia/Shanghai): units pledged, and deposits paid that day. */
@Entity('pledge_days')
export class PledgeDayRow {
  @PrimaryColumn({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @PrimaryColumn({ type: 'varchar', length: 10 }) day: string;
  @Column({ name: 'pledged_units', type: 'integer' }) pledgedUnits: number;
  @Column({ type: 'integer' }) pledges: number;
  @Column({ name: 'deposit_paid_units', type: 'integer' }) depositPaidUnits: number;
}

/** How many paid pledges one consumer holds in one campaign: the consumer is one of its pledgers while this is above 0. */
@Entity('pledgers')
export class PledgerRow {
  @PrimaryColumn({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'paid_pledges', type: 'integer' }) paidPledges: number;
}

/** The consumers with at least one paid pledge in a campaign: the pledgers its progress shows. */
@Entity('pledger_counts')
export class PledgerCountRow {
  @PrimaryColumn({ name: 'campaign_id', type: 'varchar', length: 36 }) campaignId: string;
  @Column({ type: 'integer' }) pledgers: number;
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

export type VariantTally = { variantKey: string } & Record<PledgeStatus, number>;
export type DayTally = Pick<PledgeDayRow, 'day' | 'pledgedUnits' | 'pledges' | 'depositPaidUnits'>;

/**
 * The unit counts every route shows (campaign progress, the factory forecast and its totals), from one
 * variant's running totals: one meaning per field name, as the glossary in docs/domain.md defines them.
 */
export function unitCounts(t: VariantTally) {
  const paidUnits = PAID_STATUSES.reduce((total, status) => total + t[status], 0);
  return {
    paidUnits,
    awaitingDepositUnits: t.awaiting_deposit,
    reservedUnits: paidUnits + t.awaiting_deposit,
    awaitingBalanceUnits: t.awaiting_balance,
    paidBalanceUnits: t.paid,
  };
}

const TALLY_KEYS = ['campaign_id', 'variant_key'];
const TALLY_COUNTERS = PLEDGE_STATUSES.map((s) => `${s}_units`);
const DAY_KEYS = ['campaign_id', 'day'];
const DAY_COUNTERS = ['pledged_units', 'pledges', 'deposit_paid_units'];

/**
 * Running totals of pledges per campaign and variant, by status, and per campaign and day. They are
 * changed in the same transaction as the pledges they count (every status change goes through
 * PledgeMoves.setStatuses), so progress and forecasts read a few hundred rows, never a scan of every
 * pledge. `violations` proves them against the pledges (part of the reconcile command).
 */
export class PledgeTallies implements ProgressSource {
  constructor(private readonly db: Database) {}

  /** New pledges, all awaiting their deposit. */
  async placed(tx: Tx, pledges: readonly PledgeRow[]): Promise<void> {
    const tallies = new Map<string, Record<string, string | number>>();
    const days = new Map<string, Record<string, string | number>>();
    for (const p of pledges) {
      const tally = tallies.get(`${p.campaignId}|${p.variantKey}`) ?? { campaign_id: p.campaignId, variant_key: p.variantKey, awaiting_deposit_units: 0 };
      tally.awaiting_deposit_units = Number(tally.awaiting_deposit_units) + p.quantity;
      tallies.set(`${p.campaignId}|${p.variantKey}`, tally);
      const day = businessDay(p.createdAt);
      const row = days.get(`${p.campaignId}|${day}`) ?? { campaign_id: p.campaignId, day, pledged_units: 0, pledges: 0 };
      row.pledged_units = Number(row.pledged_units) + p.quantity;
      row.pledges = Number(row.pledges) + 1;
      days.set(`${p.campaignId}|${day}`, row);
    }
    await Promise.all([
      this.db.addToCounters(tx, 'pledge_tallies', TALLY_KEYS, TALLY_COUNTERS, [...tallies.values()]),
      this.db.addToCounters(tx, 'pledge_days', DAY_KEYS, DAY_COUNTERS, [...days.values()]),
    ]);
  }

  /** Pledges moved from one status to another at `at`. */
  async moved(
    tx: Tx,
    pledges: readonly Pick<PledgeRow, 'campaignId' | 'variantKey' | 'quantity' | 'userId'>[],
    from: PledgeStatus,
    to: PledgeStatus,
    at: Date,
  ): Promise<void> {
    const tallies = new Map<string, Record<string, string | number>>();
    const days = new Map<string, Record<string, string | number>>();
    const day = businessDay(at);
    for (const p of pledges) {
      const tally = tallies.get(`${p.campaignId}|${p.variantKey}`) ?? {
        campaign_id: p.campaignId,
        variant_key: p.variantKey,
        [`${from}_units`]: 0,
        [`${to}_units`]: 0,
      };
      tally[`${from}_units`] = Number(tally[`${from}_units`]) - p.quantity;
      tally[`${to}_units`] = Number(tally[`${to}_units`]) + p.quantity;
      tallies.set(`${p.campaignId}|${p.variantKey}`, tally);
      const row = days.get(p.campaignId) ?? { campaign_id: p.campaignId, day, deposit_paid_units: 0 };
      row.deposit_paid_units = Number(row.deposit_paid_units) + p.quantity;
      days.set(p.campaignId, row);
    }
    const paid = (status: PledgeStatus) => PAID_STATUSES.includes(status);
    await Promise.all([
      this.db.addToCounters(tx, 'pledge_tallies', TALLY_KEYS, TALLY_COUNTERS, [...tallies.values()]),
      from === 'awaiting_deposit' && to === 'active' ? this.db.addToCounters(tx, 'pledge_days', DAY_KEYS, DAY_COUNTERS, [...days.values()]) : undefined,
      paid(from) !== paid(to) ? this.countPledgers(tx, pledges, paid(to) ? 1 : -1) : undefined,
    ]);
  }

  /**
   * Keeps each campaign's pledger count exact without counting its pledges: a consumer starts counting
   * with its first paid pledge and stops with its last. After adding k paid pledges, a consumer that had
   * none holds exactly k; after taking k away, one that had k holds none. The read-back sees this
   * transaction's own upserts, made on the latest rows (the upsert locks them).
   */
  private async countPledgers(tx: Tx, pledges: readonly Pick<PledgeRow, 'campaignId' | 'userId'>[], change: 1 | -1): Promise<void> {
    const perConsumer = new Map<string, { campaign_id: string; user_id: string; paid_pledges: number }>();
    for (const p of pledges) {
      const row = perConsumer.get(`${p.campaignId}|${p.userId}`) ?? { campaign_id: p.campaignId, user_id: p.userId, paid_pledges: 0 };
      row.paid_pledges += change;
      perConsumer.set(`${p.campaignId}|${p.userId}`, row);
    }
    await this.db.addToCounters(tx, 'pledgers', ['campaign_id', 'user_id'], ['paid_pledges'], [...perConsumer.values()]);
    const counts: { campaign_id: string; pledgers: number }[] = [];
    for (const campaignId of new Set(pledges.map((p) => p.campaignId))) {
      const userIds = [...new Set(pledges.filter((p) => p.campaignId === campaignId).map((p) => p.userId))];
      const { rows } = await this.db.sql<{ user_id: string; paid_pledges: number | string }>(
        tx,
        `SELECT user_id, paid_pledges FROM pledgers WHERE campaign_id = ? AND user_id IN (${placeholders(userIds)})`,
        [campaignId, ...userIds],
      );
      const crossed = rows.filter((r) => Number(r.paid_pledges) === (change > 0 ? perConsumer.get(`${campaignId}|${r.user_id}`)!.paid_pledges : 0)).length;
      if (crossed > 0) counts.push({ campaign_id: campaignId, pledgers: change * crossed });
    }
    await this.db.addToCounters(tx, 'pledger_counts', ['campaign_id'], ['pledgers'], counts);
  }

  /** Consumers with at least one paid pledge, per campaign. */
  async pledgers(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>(campaignIds.map((id) => [id, 0]));
    if (campaignIds.length === 0) return result;
    const rows = (await tx.query(`SELECT campaign_id, pledgers FROM pledger_counts WHERE campaign_id IN (${placeholders(campaignIds)})`, [...campaignIds])) as {
      campaign_id: string;
      pledgers: number | string;
    }[];
    for (const row of rows) result.set(row.campaign_id, Number(row.pledgers));
    return result;
  }

  // The two reads below are on the live forecast's path (thousands of rows): plain SQL, no entity mapping.

  async byVariant(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, VariantTally[]>> {
    const result = new Map<string, VariantTally[]>(campaignIds.map((id) => [id, []]));
    if (campaignIds.length === 0) return result;
    const rows = (await tx.query(
      `SELECT campaign_id, variant_key, ${TALLY_COUNTERS.join(', ')} FROM pledge_tallies WHERE campaign_id IN (${placeholders(campaignIds)}) ORDER BY campaign_id, variant_key`,
      [...campaignIds],
    )) as Record<string, string | number>[];
    for (const row of rows) {
      const tally = { variantKey: String(row.variant_key) } as VariantTally;
      for (const status of PLEDGE_STATUSES) tally[status] = Number(row[`${status}_units`]);
      result.get(String(row.campaign_id))!.push(tally);
    }
    return result;
  }

  async byDay(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, DayTally[]>> {
    const result = new Map<string, DayTally[]>(campaignIds.map((id) => [id, []]));
    if (campaignIds.length === 0) return result;
    const rows = (await tx.query(
      `SELECT campaign_id, day, pledged_units, pledges, deposit_paid_units FROM pledge_days WHERE campaign_id IN (${placeholders(campaignIds)}) ORDER BY campaign_id, day`,
      [...campaignIds],
    )) as { campaign_id: string; day: string; pledged_units: number | string; pledges: number | string; deposit_paid_units: number | string }[];
    for (const r of rows)
      result
        .get(r.campaign_id)!
        .push({ day: r.day, pledgedUnits: Number(r.pledged_units), pledges: Number(r.pledges), depositPaidUnits: Number(r.deposit_paid_units) });
    return result;
  }

  /** Where the running totals disagree with the pledges themselves (there should be nowhere). */
  /** A campaign's public progress (ProgressSource): a few rows per campaign and variant, however many pledges there are. */
  async progress(tx: Tx, campaignIds: string[]): Promise<Map<string, CampaignProgress>> {
    const result = new Map<string, CampaignProgress>();
    if (campaignIds.length === 0) return result;
    const pledgersOf = await this.pledgers(tx, campaignIds);
    for (const [campaignId, tallies] of await this.byVariant(tx, campaignIds)) {
      const variants = tallies.map((t) => {
        const { paidUnits, reservedUnits } = unitCounts(t);
        return { variant: t.variantKey, paidUnits, reservedUnits };
      });
      result.set(campaignId, {
        paidUnits: variants.reduce((total, v) => total + v.paidUnits, 0),
        reservedUnits: variants.reduce((total, v) => total + v.reservedUnits, 0),
        pledgers: pledgersOf.get(campaignId) ?? 0,
        variants,
      });
    }
    return result;
  }

  async violations(tx: Tx): Promise<string[]> {
    const counted = await tx
      .createQueryBuilder()
      .select('p.campaign_id', 'campaignId')
      .addSelect('p.variant_key', 'variantKey')
      .addSelect('p.status', 'status')
      .addSelect('SUM(p.quantity)', 'units')
      .from('pledges', 'p')
      .groupBy('p.campaign_id')
      .addGroupBy('p.variant_key')
      .addGroupBy('p.status')
      .getRawMany<{ campaignId: string; variantKey: string; status: PledgeStatus; units: string | number }>();
    const expected = new Map<string, number>();
    for (const row of counted) expected.set(`${row.campaignId} ${row.variantKey} ${row.status}`, Number(row.units));
    const violations: string[] = [];
    for (const { campaignId, variantKey, ...units } of await tx.find(PledgeTallyRow)) {
      for (const status of PLEDGE_STATUSES) {
        const key = `${campaignId} ${variantKey} ${status}`;
        const want = expected.get(key) ?? 0;
        expected.delete(key);
        if (units[status] !== want)
          violations.push(`campaign ${campaignId} variant ${variantKey}: tally has ${units[status]} units ${status}, the pledges ${want}`);
      }
    }
    for (const [key, units] of expected) violations.push(`${key}: ${units} units in pledges but no tally`);

    const pledgedPerCampaign = await tx.query<{ campaign_id: string; pledged: string | number; days: string | number | null }[]>(
      `SELECT p.campaign_id, SUM(p.quantity) AS pledged, (SELECT SUM(d.pledged_units) FROM pledge_days d WHERE d.campaign_id = p.campaign_id) AS days
       FROM pledges p GROUP BY p.campaign_id`,
    );
    for (const row of pledgedPerCampaign) {
      if (Number(row.pledged) !== Number(row.days ?? 0))
        violations.push(`campaign ${row.campaign_id}: ${row.pledged} units pledged, the daily series counts ${row.days ?? 0}`);
    }
    return [...violations, ...(await this.pledgerViolations(tx))];
  }

  private async pledgerViolations(tx: Tx): Promise<string[]> {
    const paidPledges = (await tx.query(
      `SELECT campaign_id, user_id, COUNT(*) AS n FROM pledges WHERE status IN (${placeholders(PAID_STATUSES)}) GROUP BY campaign_id, user_id`,
      [...PAID_STATUSES],
    )) as { campaign_id: string; user_id: string; n: number | string }[];
    const expected = new Map(paidPledges.map((r) => [`${r.campaign_id} ${r.user_id}`, Number(r.n)]));
    const pledgersOf = new Map<string, number>();
    for (const r of paidPledges) pledgersOf.set(r.campaign_id, (pledgersOf.get(r.campaign_id) ?? 0) + 1);
    const violations: string[] = [];
    for (const row of await tx.find(PledgerRow)) {
      const want = expected.get(`${row.campaignId} ${row.userId}`) ?? 0;
      expected.delete(`${row.campaignId} ${row.userId}`);
      if (row.paidPledges !== want)
        violations.push(`campaign ${row.campaignId} consumer ${row.userId}: counted ${row.paidPledges} paid pledges, the pledges ${want}`);
    }
    for (const [key, n] of expected) violations.push(`campaign and consumer ${key}: ${n} paid pledges not counted`);
    for (const row of await tx.find(PledgerCountRow)) {
      const want = pledgersOf.get(row.campaignId) ?? 0;
      pledgersOf.delete(row.campaignId);
      if (row.pledgers !== want) violations.push(`campaign ${row.campaignId}: counted ${row.pledgers} pledgers, the pledges ${want}`);
    }
    for (const [campaignId, n] of pledgersOf) violations.push(`campaign ${campaignId}: ${n} pledgers not counted`);
    return violations;
  }
}
