import { Column, Entity, PrimaryColumn } from 'typeorm';
import { businessDay } from '../platform/calendar';
import type { Database, Tx } from '../platform/database';
import { PLEDGE_STATUSES, type PledgeRow, type PledgeStatus } from './pledge.entity';

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

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

export type VariantTally = { variantKey: string } & Record<PledgeStatus, number>;
export type DayTally = Pick<PledgeDayRow, 'day' | 'pledgedUnits' | 'pledges' | 'depositPaidUnits'>;

const TALLY_KEYS = ['campaign_id', 'variant_key'];
const TALLY_COUNTERS = PLEDGE_STATUSES.map((s) => `${s}_units`);
const DAY_KEYS = ['campaign_id', 'day'];
const DAY_COUNTERS = ['pledged_units', 'pledges', 'deposit_paid_units'];

/**
 * Running totals of pledges per campaign and variant, by status, and per campaign and day. They are
 * changed in the same transaction as the pledges they count (every status change goes through
 * PledgeService.setStatus), so progress and forecasts read a few hundred rows, never a scan of every
 * pledge. `violations` proves them against the pledges (part of the reconcile command).
 */
export class PledgeTallies {
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
  async moved(tx: Tx, pledges: readonly Pick<PledgeRow, 'campaignId' | 'variantKey' | 'quantity'>[], from: PledgeStatus, to: PledgeStatus, at: Date): Promise<void> {
    const tallies = new Map<string, Record<string, string | number>>();
    const days = new Map<string, Record<string, string | number>>();
    const day = businessDay(at);
    for (const p of pledges) {
      const tally = tallies.get(`${p.campaignId}|${p.variantKey}`) ?? { campaign_id: p.campaignId, variant_key: p.variantKey, [`${from}_units`]: 0, [`${to}_units`]: 0 };
      tally[`${from}_units`] = Number(tally[`${from}_units`]) - p.quantity;
      tally[`${to}_units`] = Number(tally[`${to}_units`]) + p.quantity;
      tallies.set(`${p.campaignId}|${p.variantKey}`, tally);
      const row = days.get(p.campaignId) ?? { campaign_id: p.campaignId, day, deposit_paid_units: 0 };
      row.deposit_paid_units = Number(row.deposit_paid_units) + p.quantity;
      days.set(p.campaignId, row);
    }
    await Promise.all([
      this.db.addToCounters(tx, 'pledge_tallies', TALLY_KEYS, TALLY_COUNTERS, [...tallies.values()]),
      from === 'awaiting_deposit' && to === 'active' ? this.db.addToCounters(tx, 'pledge_days', DAY_KEYS, DAY_COUNTERS, [...days.values()]) : undefined,
    ]);
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
    for (const r of rows) result.get(r.campaign_id)!.push({ day: r.day, pledgedUnits: Number(r.pledged_units), pledges: Number(r.pledges), depositPaidUnits: Number(r.deposit_paid_units) });
    return result;
  }

  /** Where the running totals disagree with the pledges themselves (there should be nowhere). */
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
        if (units[status] !== want) violations.push(`campaign ${campaignId} variant ${variantKey}: tally has ${units[status]} units ${status}, the pledges ${want}`);
      }
    }
    for (const [key, units] of expected) violations.push(`${key}: ${units} units in pledges but no tally`);

    const pledgedPerCampaign = await tx.query<{ campaign_id: string; pledged: string | number; days: string | number | null }[]>(
      `SELECT p.campaign_id, SUM(p.quantity) AS pledged, (SELECT SUM(d.pledged_units) FROM pledge_days d WHERE d.campaign_id = p.campaign_id) AS days
       FROM pledges p GROUP BY p.campaign_id`,
    );
    for (const row of pledgedPerCampaign) {
      if (Number(row.pledged) !== Number(row.days ?? 0)) violations.push(`campaign ${row.campaign_id}: ${row.pledged} units pledged, the daily series counts ${row.days ?? 0}`);
    }
    return violations;
  }
}
