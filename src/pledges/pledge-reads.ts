import { In } from 'typeorm';
import { type CampaignService, variantFromKey } from '../campaigns';
import { PaymentRow, RefundRow } from '../payments';
import type { Database, Tx } from '../platform/database';
import { notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { sum } from '../platform/money';
import { PAID_STATUSES, PledgeRow } from './pledge.entity';

/**
 * Reading pledges: one (its consumer's or an operator's), and a consumer's own, each with all its payments;
 * and those attributed to a shop owner (their order list).
 */
export class PledgeReads {
  constructor(private readonly deps: { db: Database; campaigns: CampaignService }) {}

  async get(actor: Principal, pledgeId: string): Promise<{ pledge: PledgeRow; payments: PaymentRow[] }> {
    return this.deps.db.read(async (tx) => {
      const pledge = await tx.findOneBy(PledgeRow, { id: pledgeId });
      if (!pledge || !(actor.role === 'operator' || (actor.role === 'consumer' && actor.userId === pledge.userId))) throw notFound('The pledge');
      return { pledge, payments: (await paymentsOf(tx, [pledgeId])).get(pledgeId)! };
    });
  }

  async listMine(userId: string, page: PageQuery): Promise<{ items: { pledge: PledgeRow; payments: PaymentRow[] }[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [pledges, total] = await tx.findAndCount(PledgeRow, {
        where: { userId },
        order: { createdAt: 'DESC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      const payments = await paymentsOf(
        tx,
        pledges.map((p) => p.id),
      );
      return { items: pledges.map((pledge) => ({ pledge, payments: payments.get(pledge.id)! })), total };
    });
  }

  /** Pledges by id, of consumers, or of campaigns (an operator's search), newest first: at most `limit`, and how many there are. */
  async search(
    where: { ids?: readonly string[]; userIds?: readonly string[]; campaignIds?: readonly string[]; paymentIds?: readonly string[] },
    limit: number,
  ): Promise<{ items: PledgeRow[]; total: number }> {
    const or = [
      ...(where.ids?.length ? [{ id: In([...where.ids]) }] : []),
      ...(where.userIds?.length ? [{ userId: In([...where.userIds]) }] : []),
      ...(where.campaignIds?.length ? [{ campaignId: In([...where.campaignIds]) }] : []),
      ...(where.paymentIds?.length ? [{ depositPaymentId: In([...where.paymentIds]) }, { balancePaymentId: In([...where.paymentIds]) }] : []),
    ];
    if (or.length === 0) return { items: [], total: 0 };
    const [items, total] = await this.deps.db.read((tx) => tx.findAndCount(PledgeRow, { where: or, order: { createdAt: 'DESC', id: 'ASC' }, take: limit }));
    return { items, total };
  }

  /**
   * Per campaign, the pledges attributed to a shop and their units, counted as the campaign's public
   * progress counts them (deposit paid and kept: PAID_STATUSES): one aggregate query on the shop's index.
   */
  async countsByShop(shopId: string): Promise<{ campaignId: string; pledges: number; units: number }[]> {
    const { rows } = await this.deps.db.read((tx) =>
      this.deps.db.sql<{ campaign_id: string; pledges: number | string; units: number | string | null }>(
        tx,
        `SELECT campaign_id, COUNT(*) AS pledges, SUM(quantity) AS units FROM pledges WHERE shop_id = ? AND status IN (${PAID_STATUSES.map(() => '?').join(', ')}) GROUP BY campaign_id`,
        [shopId, ...PAID_STATUSES],
      ),
    );
    return rows.map((r) => ({ campaignId: r.campaign_id, pledges: Number(r.pledges), units: Number(r.units ?? 0) }));
  }

  /** The pledges attributed to a shop (docs/shop-owners.md § Privacy), newest first, with their campaign's title and what was paid. */
  async attributedTo(shopId: string, page: PageQuery) {
    return this.deps.db.read(async (tx) => {
      const [pledges, total] = await tx.findAndCount(PledgeRow, {
        where: { shopId },
        order: { createdAt: 'DESC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      const ids = pledges.map((p) => p.id);
      const titles = new Map<string, string>();
      for (const campaignId of new Set(pledges.map((p) => p.campaignId))) titles.set(campaignId, (await this.deps.campaigns.find(tx, campaignId))!.title);
      const [payments, refunds] = await Promise.all([
        paymentsOf(tx, ids),
        ids.length === 0 ? [] : tx.find(RefundRow, { where: { pledgeId: In(ids), status: 'succeeded' } }),
      ]);
      const items = pledges.map((p) => ({
        id: p.id,
        userId: p.userId,
        campaignId: p.campaignId,
        campaignTitle: titles.get(p.campaignId)!,
        variant: variantFromKey(p.variantKey),
        quantity: p.quantity,
        status: p.status,
        /** Received for the pledge (deposit, balance) less what was refunded: what the consumer has paid so far. */
        paid: sum(
          payments
            .get(p.id)!
            .filter((x) => x.status === 'succeeded')
            .map((x) => x.amount),
        ).minus(sum(refunds.filter((r) => r.pledgeId === p.id).map((r) => r.amount))),
        createdAt: p.createdAt,
      }));
      return { items, total };
    });
  }

  /**
   * A campaign's completed units (pledges whose balance was paid, not refunded), and those of them attributed to one
   * shop: the figures of the commission concentration rule (docs/shop-owners.md § Holds).
   */
  async completedUnits(tx: Tx, campaignId: string, shopId: string): Promise<{ shop: number; total: number }> {
    const row = await tx
      .createQueryBuilder(PledgeRow, 'p')
      .select('COALESCE(SUM(p.quantity), 0)', 'total')
      .addSelect('COALESCE(SUM(CASE WHEN p.shop_id = :shopId THEN p.quantity ELSE 0 END), 0)', 'shop')
      .where('p.campaign_id = :campaignId AND p.status = :paid', { campaignId, shopId, paid: 'paid' })
      .getRawOne<{ total: string | number; shop: string | number }>();
    return { shop: Number(row?.shop ?? 0), total: Number(row?.total ?? 0) };
  }
}

/** A pledge as its shop owner sees it in their order list: what was bought and paid, and whose it is (the user id, never shown). */
export type AttributedPledge = Awaited<ReturnType<PledgeReads['attributedTo']>>['items'][number];

/** Every payment of each pledge, oldest first: a pledge is shown with all of its payments, on every route. */
export async function paymentsOf(tx: Tx, pledgeIds: readonly string[]): Promise<Map<string, PaymentRow[]>> {
  const result = new Map<string, PaymentRow[]>(pledgeIds.map((id) => [id, []]));
  if (pledgeIds.length === 0) return result;
  for (const payment of await tx.find(PaymentRow, { where: { pledgeId: In([...pledgeIds]) }, order: { createdAt: 'ASC', id: 'ASC' } }))
    result.get(payment.pledgeId!)!.push(payment);
  return result;
}

/** The consumer's own pledge, locked for a change; someone else's answers 404 like one that does not exist. */
export async function lockOwnPledge(db: Database, tx: Tx, consumer: { userId: string }, pledgeId: string): Promise<PledgeRow> {
  const pledge = await tx.findOne(PledgeRow, { where: { id: pledgeId }, lock: db.rowLock() });
  if (!pledge || pledge.userId !== consumer.userId) throw notFound('The pledge');
  return pledge;
}
