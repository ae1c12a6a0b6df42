import { randomInt } from 'node:crypto';
import { type CampaignDto, type CampaignReads } from '../campaigns';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, badRequest, conflict, notFound } from '../platform/http/app-error';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import { type PlanDocument, type SubscriptionCatalogue, toPlanDto } from '../subscriptions';
import type { z } from 'zod';
import { ShopBindingRow, ShopRow, type ShopStatus } from './shop.entity';

type Consumer = Extract<Principal, { role: 'consumer' }>;
type Operator = Extract<Principal, { role: 'operator' }>;

/** No 0/O, 1/I/L: a code read aloud or typed from a poster is not mistaken. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CODE_LENGTH = 6;

export interface Application {
  name: string;
  phone: string;
  wechatId: string;
  greeting: string;
}

export interface ShopPage {
  shop: ShopRow;
  campaigns: CampaignDto[];
  plans: z.input<typeof PlanDocument>[];
}

/**
 * Becoming a shop owner (小B): a consumer applies, free and with no purchase (docs/shop-owners.md: a fee or
 * forced purchase to join is a mark of 传销); an operator approves, giving the shop its code, or refuses with
 * a reason. An approved shop owner chooses the campaigns and plans their shop page shows.
 */
export class ShopOwners {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      campaignReads: CampaignReads;
      catalogue: SubscriptionCatalogue;
    },
  ) {}

  /** Applies; one open (pending or approved) application per consumer, held by a unique index under concurrency. */
  async apply(consumer: Consumer, input: Application): Promise<ShopRow> {
    const now = this.deps.clock.now();
    const row = Object.assign(new ShopRow(), {
      id: newId(),
      userId: consumer.userId,
      openUserId: consumer.userId,
      status: 'pending' as ShopStatus,
      code: null,
      ...input,
      campaignIds: [],
      planIds: [],
      appliedAt: now,
      decidedBy: null,
      decidedAt: null,
      refusalReason: null,
      updatedAt: now,
    });
    try {
      await this.deps.db.statement((tx) => tx.insert(ShopRow, row));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw conflict('shop_application_open', '你已经有一个待审核的申请或一家店铺。 You already have an application under review or a shop (GET /v1/me/shop).');
    }
    return row;
  }

  /** The caller's latest application (their shop once approved), or undefined. */
  async mine(consumer: Consumer): Promise<ShopRow | undefined> {
    return this.deps.db.read(async (tx) => (await tx.find(ShopRow, { where: { userId: consumer.userId }, order: { appliedAt: 'DESC' }, take: 1 }))[0]);
  }

  /** A shop by id, in the caller's transaction (for the payouts module: whom a shop owner's payout is told to). */
  async find(tx: Tx, shopId: string): Promise<ShopRow | null> {
    return tx.findOneBy(ShopRow, { id: shopId });
  }

  /** The approved shop a user owns, or null (the commissions' port: a shop owner's purchase earns a rebate, never commission). */
  async approvedShopOf(tx: Tx, userId: string): Promise<string | null> {
    return (await tx.findOneBy(ShopRow, { openUserId: userId, status: 'approved' }))?.id ?? null;
  }

  async list(query: { status?: ShopStatus; limit: number; offset: number }): Promise<{ items: ShopRow[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [items, total] = await tx.findAndCount(ShopRow, {
        where: query.status ? { status: query.status } : {},
        order: { appliedAt: 'ASC', id: 'ASC' },
        take: query.limit,
        skip: query.offset,
      });
      return { items, total };
    });
  }

  /**
   * Approves a pending application: the shop gets a code of its own (drawn again on the rare collision). A
   * consumer bound to another shop owner stops being attributed to them: a shop owner is no one's customer.
   */
  async approve(operator: Operator, id: string): Promise<ShopRow> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decide(operator, id, 'approved', { code: newCode() });
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 5) throw error;
      }
    }
  }

  async refuse(operator: Operator, id: string, reason: string): Promise<ShopRow> {
    return this.decide(operator, id, 'refused', { refusalReason: reason, openUserId: null });
  }

  private async decide(operator: Operator, id: string, status: ShopStatus, change: Partial<ShopRow>): Promise<ShopRow> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const row = await tx.findOneBy(ShopRow, { id });
      if (!row) throw notFound('The shop application');
      const decided = { ...change, status, decidedBy: operator.userId, decidedAt: now, updatedAt: now };
      const moved = await tx.update(ShopRow, { id, status: 'pending' }, decided);
      if (moved.affected !== 1)
        throw conflict('shop_application_decided', `这个申请已经处理过了（${row.status}）。 The application was already decided (${row.status}).`);
      if (status === 'approved') await tx.delete(ShopBindingRow, { userId: row.userId });
      return Object.assign(row, decided);
    });
  }

  /** The shop owner's greeting and chosen campaigns (published ones) and plans (active ones), each checked. */
  async updateMine(consumer: Consumer, input: { greeting: string; campaignIds: string[]; planIds: string[] }): Promise<ShopPage> {
    const shop = await this.approvedOf(consumer);
    const campaignIds = [...new Set(input.campaignIds)];
    const planIds = [...new Set(input.planIds)];
    const campaigns = await Promise.all(campaignIds.map((id) => this.deps.campaignReads.campaign(id)));
    const plans = new Set((await this.deps.catalogue.plans()).map((p) => p.id));
    const published = new Set(campaignIds.filter((_, i) => campaigns[i]));
    // Each bad id is named by its place in the request (not in the list without repeats), as a field error should be.
    const errors = [
      ...input.campaignIds.flatMap((id, i) => (published.has(id) ? [] : [{ path: `body.campaignIds.${i}`, message: `"${id}" is not a published campaign` }])),
      ...input.planIds.flatMap((id, i) =>
        plans.has(id) ? [] : [{ path: `body.planIds.${i}`, message: `"${id}" is not a plan (GET /v1/subscription-plans)` }],
      ),
    ];
    if (errors.length > 0)
      throw badRequest(
        'validation_failed',
        `店铺的选择无效。 The shop's choice is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`,
        errors,
      );
    const change = { greeting: input.greeting, campaignIds, planIds, updatedAt: this.deps.clock.now() };
    await this.deps.db.statement((tx) => tx.update(ShopRow, { id: shop.id }, change));
    return this.page(Object.assign(shop, change));
  }

  /** A shop's public page by its code: what it shows of its chosen campaigns is what the public sees (drafts never). */
  async publicPage(code: string): Promise<ShopPage> {
    const shop = await this.approvedByCode(code);
    if (!shop) throw notFound('The shop');
    return this.page(shop);
  }

  /** The approved shop with this code (codes are stored upper-case), or undefined. */
  async approvedByCode(code: string): Promise<ShopRow | undefined> {
    return (await this.deps.db.read((tx) => tx.findOneBy(ShopRow, { code: code.toUpperCase(), status: 'approved' }))) ?? undefined;
  }

  private async page(shop: ShopRow): Promise<ShopPage> {
    const [campaigns, plans] = await Promise.all([
      Promise.all(shop.campaignIds.map((id) => this.deps.campaignReads.campaign(id))),
      this.deps.catalogue.plans(),
    ]);
    const chosen = new Set(shop.planIds);
    return {
      shop,
      campaigns: campaigns.flatMap((c) => (c ? [c.body] : [])),
      plans: plans.filter((p) => chosen.has(p.id)).map(toPlanDto),
    };
  }

  /** The caller's shop; 403 `not_a_shop_owner` unless they are an approved shop owner. */
  async approvedOf(consumer: Consumer): Promise<ShopRow> {
    const shop = await this.mine(consumer);
    if (shop?.status !== 'approved')
      throw new AppError(403, 'not_a_shop_owner', '你还不是店主。 You are not a shop owner (apply: POST /v1/shop-applications).');
    return shop;
  }
}

function newCode(): string {
  return Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
}
