import { In, IsNull } from 'typeorm';
import type { CampaignService } from '../campaigns';
import { COMMISSION_PAYABLE_PREFIX, PAYOUT_KIND, accounts, type EntryInput, type LedgerService } from '../ledger';
import type { Clock } from '../platform/clock';
import { chunks } from '../platform/chunks';
import type { Database, Tx } from '../platform/database';
import { AppError, badRequest, conflict, notFound } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import { Decimal, ZERO, formatMoney, roundToFen, sum, toFen } from '../platform/money';
import type { SubscriptionCatalogue } from '../subscriptions';
import { CommissionEarningRow, CommissionRateRow, ShopSalesRow, type EarningKind, type RateSubject } from './commission.entity';
import { HIGHEST_BONUS, standingAt, type LevelStanding } from './levels';

/** Which approved shop a user owns, if any (the shops module, wired in app.ts). */
export interface OwnShops {
  approvedShopOf(tx: Tx, userId: string): Promise<string | null>;
}

/** A completed purchase, as the pledges module reports it in the purchase's transaction. */
export interface CompletedPurchase {
  pledgeId: string;
  campaignId: string;
  buyerId: string;
  /** The shop the pledge was attributed to when made, or null. */
  shopId: string | null;
  /** The final price: deposit + balance. */
  price: Decimal;
}

/** A charged fruit box, as the subscriptions module reports it in the charge's transaction. */
export interface ChargedBox {
  boxId: string;
  planId: string;
  buyerId: string;
  shopId: string | null;
  price: Decimal;
}

type Sale = { pledgeId: string; campaignId: string } | { boxId: string; planId: string };

export interface RateView {
  subject: RateSubject;
  subjectId: string;
  rate: string;
  setBy: string | null;
  setAt: Date | null;
}

/** Campaign statuses after which a campaign's rate no longer changes. */
const FINAL_CAMPAIGN = ['completed', 'failed', 'cancelled'];
const EARNED_KINDS: EntryInput['kind'][] = ['commission_earned', 'self_purchase_rebate'];

/**
 * Commission (docs/shop-owners.md § Commission): the operator's rates, the levels, and what a shop owner
 * earns, posted in the same transaction as the sale that earns it and clawed back with its refund. Only
 * a sale through a shop owner's own link earns them commission; a shop owner's own purchase earns them a
 * rebate at the base rate; nothing is ever paid on another shop owner's sales (there is nothing here
 * that could compute it: no account or record links one shop owner to another).
 */
export class Commissions {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      ledger: LedgerService;
      campaigns: CampaignService;
      catalogue: SubscriptionCatalogue;
      shops: OwnShops;
      platformFeeRate: string;
    },
  ) {}

  // ---- rates ----

  /**
   * Sets a campaign's or plan's rate. A campaign's rate may change until the campaign is final
   * (completed, failed, cancelled); it applies to purchases completed from then on. rate + the highest
   * level bonus must stay within the platform's fee, so the platform never pays more than it earns.
   */
  async setRate(operator: Principal & { role: 'operator' }, subject: RateSubject, subjectId: string, rate: string): Promise<RateView> {
    const normalized = new Decimal(rate);
    if (normalized.plus(HIGHEST_BONUS).gt(this.deps.platformFeeRate))
      throw badRequest(
        'commission_rate_too_high',
        `佣金率加最高等级奖励（${HIGHEST_BONUS.toString()}）不得超过平台服务费率 ${this.deps.platformFeeRate}。 The rate plus the highest level bonus (${HIGHEST_BONUS.toString()}) may not exceed the platform fee rate ${this.deps.platformFeeRate}.`,
      );
    await this.checkPlan(subject, subjectId);
    return this.deps.db.transaction(async (tx) => {
      await this.checkCampaign(tx, subject, subjectId, true);
      const row = Object.assign(new CommissionRateRow(), {
        subject,
        subjectId,
        rate: normalized.toString(),
        setBy: operator.userId,
        setAt: this.deps.clock.now(),
      });
      // One statement (INSERT … ON DUPLICATE KEY UPDATE / ON CONFLICT): save's read-then-insert let two operators
      // setting the same rate at once both insert, and the second got a 500 (the fuzz sweep found it).
      await tx.upsert(CommissionRateRow, row, ['subject', 'subjectId']);
      return row;
    });
  }

  /** A campaign's or plan's rate: "0" when none was set. */
  async rate(subject: RateSubject, subjectId: string): Promise<RateView> {
    await this.checkPlan(subject, subjectId);
    return this.deps.db.read(async (tx) => {
      await this.checkCampaign(tx, subject, subjectId, false);
      return (await tx.findOneBy(CommissionRateRow, { subject, subjectId })) ?? { subject, subjectId, rate: '0', setBy: null, setAt: null };
    });
  }

  /** What the calling shop owner earns: their level, and each rate in force (base, and theirs with the level's bonus); 403 `not_a_shop_owner` for anyone else. */
  async mine(consumer: Principal & { role: 'consumer' }): Promise<{
    standing: LevelStanding;
    rates: { subject: RateSubject; subjectId: string; baseRate: string; rate: string }[];
  }> {
    return this.deps.db.read(async (tx) => {
      const shopId = await this.deps.shops.approvedShopOf(tx, consumer.userId);
      if (!shopId) throw new AppError(403, 'not_a_shop_owner', '你还不是店主。 Only a shop owner earns commission.');
      const standing = await this.levelOf(tx, shopId);
      const final = new Set(await this.deps.campaigns.finalCampaignIds(tx));
      const rows = (await tx.find(CommissionRateRow, { order: { subject: 'ASC', subjectId: 'ASC' } })).filter(
        (r) => !(r.subject === 'campaign' && final.has(r.subjectId)),
      );
      // A rate may be set on a draft before it is published: a shop owner sees only campaigns the public may see,
      // never an unpublished one's id and rate.
      const published = new Set(
        await this.deps.campaigns.publishedIds(
          tx,
          rows.filter((r) => r.subject === 'campaign').map((r) => r.subjectId),
        ),
      );
      return {
        standing,
        rates: rows
          .filter((r) => r.subject !== 'campaign' || published.has(r.subjectId))
          .map((r) => ({ subject: r.subject, subjectId: r.subjectId, baseRate: r.rate, rate: new Decimal(r.rate).plus(standing.bonusRate).toString() })),
      };
    });
  }

  /** A plan's rate is set while the plan is offered. */
  private async checkPlan(subject: RateSubject, planId: string): Promise<void> {
    if (subject === 'plan' && !(await this.deps.catalogue.plans()).some((p) => p.id === planId)) throw notFound('The plan');
  }

  private async checkCampaign(tx: Tx, subject: RateSubject, subjectId: string, changing: boolean): Promise<void> {
    if (subject !== 'campaign') return;
    const campaign = await this.deps.campaigns.find(tx, subjectId);
    if (!campaign) throw notFound('The campaign');
    if (changing && FINAL_CAMPAIGN.includes(campaign.status))
      throw conflict('campaign_final', `活动已${campaign.status}，佣金率不能再改。 The campaign is ${campaign.status}: its commission rate no longer changes.`);
  }

  private async baseRate(tx: Tx, subject: RateSubject, subjectId: string): Promise<string> {
    return (await tx.findOneBy(CommissionRateRow, { subject, subjectId }))?.rate ?? '0';
  }

  // ---- levels ----

  /** A shop owner's level: by their own completed attributed sales, net of clawbacks. */
  async levelOf(tx: Tx | undefined, shopId: string): Promise<LevelStanding> {
    const read = async (t: Tx) => standingAt((await t.findOneBy(ShopSalesRow, { shopId }))?.completedSales ?? ZERO);
    return tx ? read(tx) : this.deps.db.read(read);
  }

  /** Which of these shops have completed sales through their links, net of clawbacks (the marks module's activity rule). */
  async shopsWithSales(shopIds: readonly string[]): Promise<Set<string>> {
    if (shopIds.length === 0) return new Set();
    const rows = await this.deps.db.read((tx) =>
      tx.find(ShopSalesRow, { select: { shopId: true, completedSales: true }, where: { shopId: In([...shopIds]) } }),
    );
    return new Set(rows.filter((r) => r.completedSales.gt(0)).map((r) => r.shopId));
  }

  // ---- earning (called by pledges and subscriptions through their ports, in the sale's transaction) ----

  async purchaseCompleted(tx: Tx, purchase: CompletedPurchase): Promise<void> {
    const base = await this.baseRate(tx, 'campaign', purchase.campaignId);
    await this.earn(tx, { pledgeId: purchase.pledgeId, campaignId: purchase.campaignId }, purchase, base);
  }

  async boxCharged(tx: Tx, box: ChargedBox): Promise<void> {
    const base = await this.baseRate(tx, 'plan', box.planId);
    await this.earn(tx, { boxId: box.boxId, planId: box.planId }, box, base);
  }

  /** A completed purchase was refunded: exactly what it earned comes back, once. */
  async purchaseRefunded(tx: Tx, refunded: { pledgeId: string; campaignId: string }): Promise<void> {
    const earning = await tx.findOne(CommissionEarningRow, { where: { pledgeId: refunded.pledgeId }, lock: this.deps.db.rowLock() });
    if (!earning || earning.clawedBackAt) return;
    const now = this.deps.clock.now();
    const marked = await tx.update(CommissionEarningRow, { id: earning.id, clawedBackAt: IsNull() }, { clawedBackAt: now });
    if (marked.affected !== 1) throw new Error(`earning ${earning.id} was clawed back twice`);
    // What this pledge's entries left owed to the shop owner, read from the ledger: never more, never twice.
    const owed = await this.deps.ledger.balancesOfSale(tx, { pledgeId: refunded.pledgeId }, COMMISSION_PAYABLE_PREFIX);
    const lines = [...owed].filter(([, balance]) => !balance.isZero()).map(([account, balance]) => ({ account, amount: balance.negated() }));
    if (lines.length > 0)
      await this.deps.ledger.post(tx, {
        kind: 'commission_clawed_back',
        refs: { campaignId: refunded.campaignId, pledgeId: refunded.pledgeId },
        lines: [...lines, { account: accounts.commissionExpense, amount: sum(lines.map((l) => l.amount)).negated() }],
      });
    if (earning.kind === 'commission') await this.addSales(tx, earning.shopId, earning.sale.negated());
  }

  /**
   * A sale by a shop owner earns them a rebate at the base rate (not counted toward levels); a sale by
   * anyone else through a shop owner's link earns that shop owner commission at the base rate plus their
   * level's bonus, the level as it stood before this sale. A rate of zero earns nothing, but the sale
   * still counts toward the level.
   */
  private async earn(tx: Tx, sale: Sale, buyer: { buyerId: string; shopId: string | null; price: Decimal }, baseRate: string): Promise<void> {
    const ownShop = await this.deps.shops.approvedShopOf(tx, buyer.buyerId);
    // A shop owner is nobody's customer: their purchase earns the shop it was attributed to nothing.
    const shopId = ownShop ?? buyer.shopId;
    if (!shopId) return;
    const kind: EarningKind = ownShop ? 'rebate' : 'commission';
    let rate = new Decimal(baseRate);
    let level: string | null = null;
    if (kind === 'commission') {
      const standing = await this.lockedStanding(tx, shopId);
      rate = rate.plus(standing.bonusRate);
      level = standing.level;
    }
    const amount = roundToFen(buyer.price.times(rate));
    if (kind === 'rebate' && amount.isZero()) return;
    const refs = 'pledgeId' in sale ? { campaignId: sale.campaignId, pledgeId: sale.pledgeId } : { boxId: sale.boxId };
    await this.deps.db.insertEntities(tx, CommissionEarningRow, [
      Object.assign(new CommissionEarningRow(), {
        id: newId(),
        shopId,
        kind,
        pledgeId: 'pledgeId' in sale ? sale.pledgeId : null,
        campaignId: 'campaignId' in sale ? sale.campaignId : null,
        boxId: 'boxId' in sale ? sale.boxId : null,
        planId: 'planId' in sale ? sale.planId : null,
        buyerId: buyer.buyerId,
        sale: buyer.price,
        rate: rate.toString(),
        level,
        amount,
        earnedAt: this.deps.clock.now(),
        clawedBackAt: null,
      }),
    ]);
    if (!amount.isZero())
      await this.deps.ledger.post(tx, {
        kind: kind === 'rebate' ? 'self_purchase_rebate' : 'commission_earned',
        refs,
        lines: [
          { account: accounts.commissionExpense, amount },
          { account: accounts.commissionPayable(shopId), amount: amount.negated() },
        ],
      });
    if (kind === 'commission') await this.addSales(tx, shopId, buyer.price);
  }

  /** The shop's standing, its sales row locked (created at zero if new) until the transaction ends, so concurrent sales count one after another. */
  private async lockedStanding(tx: Tx, shopId: string): Promise<LevelStanding> {
    await this.addSales(tx, shopId, ZERO);
    return this.levelOf(tx, shopId);
  }

  private async addSales(tx: Tx, shopId: string, amount: Decimal): Promise<void> {
    await this.deps.db.addToCounters(tx, 'shop_sales', ['shop_id'], ['completed_sales_fen'], [{ shop_id: shopId, completed_sales_fen: toFen(amount) }]);
  }

  // ---- reconcile ----

  /**
   * Where the earnings, the running sales totals and the ledger disagree: per shop, the ledger's earned
   * less clawed back equals the earnings not clawed back, and the completed sales equal the commission
   * sales not clawed back; one ledger entry per earning with an amount.
   */
  async violations(tx: Tx): Promise<string[]> {
    const violations: string[] = [];
    const earnings = await tx.find(CommissionEarningRow, {
      select: { shopId: true, kind: true, pledgeId: true, sale: true, amount: true, clawedBackAt: true },
    });
    const kept = new Map<string, Decimal>();
    const sales = new Map<string, Decimal>();
    for (const e of earnings.filter((e) => !e.clawedBackAt)) {
      kept.set(e.shopId, (kept.get(e.shopId) ?? ZERO).plus(e.amount));
      if (e.kind === 'commission') sales.set(e.shopId, (sales.get(e.shopId) ?? ZERO).plus(e.sale));
    }
    // A held commission voided pledge by pledge, whose sale was then refunded: the void took it back, so the refund
    // found nothing left to claw back. Its earning is clawed back in the records while the ledger, voids aside, still
    // shows it earned: the void stands for the clawback here.
    const refunded = earnings.filter((e) => e.clawedBackAt && e.pledgeId).map((e) => e.pledgeId!);
    for (const ids of chunks(refunded, 500))
      for (const { entry, lines } of await this.deps.ledger.entriesReferring(tx, { pledgeIds: ids }))
        for (const line of lines.filter((l) => entry.kind === 'commission_voided' && l.account.startsWith(COMMISSION_PAYABLE_PREFIX))) {
          const shopId = line.account.slice(COMMISSION_PAYABLE_PREFIX.length);
          kept.set(shopId, (kept.get(shopId) ?? ZERO).plus(line.amount));
        }
    // Payouts pay earnings, and a held commission an operator voided (the payouts module's commission_voided) takes it back without undoing the sale.
    const inLedger = await this.deps.ledger.balancesByKind(tx, COMMISSION_PAYABLE_PREFIX, [PAYOUT_KIND, 'commission_voided'], true);
    const shops = new Set([...kept.keys(), ...[...inLedger.keys()].map((a) => a.slice(COMMISSION_PAYABLE_PREFIX.length))]);
    for (const shopId of shops) {
      const ledger = (inLedger.get(accounts.commissionPayable(shopId)) ?? ZERO).negated();
      const records = kept.get(shopId) ?? ZERO;
      if (!ledger.equals(records))
        violations.push(`shop ${shopId}: the ledger has ${formatMoney(ledger)} earned less clawed back, its earnings ${formatMoney(records)}`);
    }
    for (const row of await tx.find(ShopSalesRow)) {
      const counted = sales.get(row.shopId) ?? ZERO;
      if (!row.completedSales.equals(counted))
        violations.push(`shop ${row.shopId}: completed sales ${formatMoney(row.completedSales)}, its commission sales not clawed back ${formatMoney(counted)}`);
    }
    const entries = await this.deps.ledger.entryCountsOfKinds(tx, EARNED_KINDS);
    const withAmount = earnings.filter((e) => !e.amount.isZero()).length;
    if (entries !== withAmount) violations.push(`${entries} commission and rebate entries in the ledger, ${withAmount} earnings with an amount`);
    return violations;
  }
}
