import { In, IsNull, Not, Raw } from 'typeorm';
import type { FactoryService } from '../factories';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { badRequest, conflict, notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import { formatMoney, parseMoney, toFen } from '../platform/money';
import { parse } from '../platform/http/routes';
import { CampaignRow, type CampaignStatus, type DisplayLabel, type OptionDimension } from './campaign.entity';
import { type Quote, depositPerUnit, isPublished, isUndecided, pledgeWindow, quoteOf, tiersOf, variantKey, windowRefusal } from './campaign';
import { type CampaignProgress, type CreateCampaignInput, type UpdateCampaignInput, campaignRules } from './campaign.schemas';

/** Where a campaign's progress comes from: the pledges module's tallies (campaigns may not import pledges). */
export interface ProgressSource {
  progress(tx: Tx, campaignIds: string[]): Promise<Map<string, CampaignProgress>>;
}

/** pledgeWindow's rule in SQL, on the campaign row at `:now`: the conditional updates that take or give back units check it. */
const WINDOW_OPEN_AT = "status IN ('scheduled', 'open') AND opens_at <= :now AND closes_at > :now";
export const OPEN_JOB = 'campaigns.open';
export const CLOSE_JOB = 'campaigns.close';
const PUBLIC_STATUSES: CampaignStatus[] = ['scheduled', 'open', 'succeeded', 'failed', 'cancelled', 'completed'];

/** An option as stored: only the labels given (the DTO fills in the rest), so a label added later is not shadowed by a stored fallback. */
function storedOption(o: CreateCampaignInput['options'][number]): OptionDimension {
  const label = (l: DisplayLabel | undefined) =>
    l && (l.zh !== undefined || l.en !== undefined) ? { ...(l.zh !== undefined && { zh: l.zh }), ...(l.en !== undefined && { en: l.en }) } : undefined;
  const valueLabels = Object.fromEntries(
    o.values.flatMap((v) => {
      const l = o.valueLabels && Object.hasOwn(o.valueLabels, v) ? label(o.valueLabels[v]) : undefined;
      return l ? [[v, l]] : [];
    }),
  );
  return { name: o.name, values: o.values, ...(label(o.label) && { label: label(o.label) }), ...(Object.keys(valueLabels).length > 0 && { valueLabels }) };
}

/** The row a create body makes (a draft, nothing reserved, nothing decided); its id and creation time are the caller's. */
function draftRow(input: CreateCampaignInput): Omit<CampaignRow, 'id' | 'createdAt'> {
  const referencePrice = parseMoney(input.referencePrice);
  return {
    factoryId: input.factoryId,
    title: input.title,
    productName: input.productName,
    description: input.description,
    options: input.options.map(storedOption),
    imageUrl: input.imageUrl ?? null,
    referencePrice,
    depositRate: input.depositRate,
    depositPerUnit: depositPerUnit(referencePrice, input.depositRate),
    depositCreditRate: input.depositCreditRate,
    tiers: input.tiers.map((t) => ({ minUnits: t.minUnits, unitPriceFen: toFen(parseMoney(t.unitPrice)) })),
    maxUnits: input.maxUnits ?? null,
    perConsumerLimit: input.perConsumerLimit ?? null,
    variantMinUnits: input.variantMinUnits ?? null,
    opensAt: input.opensAt,
    closesAt: input.closesAt,
    balanceWindowHours: input.balanceWindowHours,
    expectedShipDate: input.expectedShipDate,
    status: 'draft',
    reservedUnits: 0,
    finalUnitPrice: null,
    droppedVariants: null,
    decidedAt: null,
    balanceDueAt: null,
    completedAt: null,
    cancelledAt: null,
    cancelReason: null,
    publishedAt: null,
  };
}

/** A draft's terms as a create body's parsed fields (the inverse of draftRow), for an edit to be applied to. */
function inputOf(c: CampaignRow): CreateCampaignInput {
  return {
    factoryId: c.factoryId,
    title: c.title,
    productName: c.productName,
    description: c.description,
    options: c.options,
    ...(c.imageUrl !== null && { imageUrl: c.imageUrl }),
    referencePrice: formatMoney(c.referencePrice),
    depositRate: c.depositRate,
    depositCreditRate: c.depositCreditRate,
    tiers: tiersOf(c).map((t) => ({ minUnits: t.minUnits, unitPrice: formatMoney(t.unitPrice) })),
    ...(c.maxUnits !== null && { maxUnits: c.maxUnits }),
    ...(c.perConsumerLimit !== null && { perConsumerLimit: c.perConsumerLimit }),
    ...(c.variantMinUnits !== null && { variantMinUnits: c.variantMinUnits }),
    opensAt: c.opensAt,
    closesAt: c.closesAt,
    balanceWindowHours: c.balanceWindowHours,
    expectedShipDate: c.expectedShipDate,
  };
}

/**
 * The checks a pledge's choice must pass before anything is written, shared by pledging and quoting so
 * that both refuse the same choice with the same code: the variant must be one of the campaign's
 * (400 invalid_variant), the quantity within the per-consumer limit (409 per_consumer_limit; the
 * consumer's earlier pledges are counted when the pledge is placed). Returns the variant's key.
 */
export function checkChoice(campaign: Pick<CampaignRow, 'options' | 'perConsumerLimit'>, input: { variant: Record<string, string>; quantity: number }): string {
  const variant = variantKey(campaign.options, input.variant);
  if ('error' in variant)
    throw badRequest('invalid_variant', `The variant is not valid: ${variant.error}.`, [{ path: 'body.variant', message: variant.error }]);
  if (campaign.perConsumerLimit !== null && input.quantity > campaign.perConsumerLimit)
    throw conflict('per_consumer_limit', `Each consumer may pledge at most ${campaign.perConsumerLimit} units in this campaign.`);
  return variant.key;
}

/** What never changes about a published campaign. */
export type CampaignTerms = Readonly<Pick<CampaignRow, 'id' | 'options' | 'depositPerUnit' | 'perConsumerLimit'>>;

/** Campaigns from draft to the deadline, and what other modules read of them; the decision is in campaign-decisions.ts. */
export class CampaignService {
  private readonly termsCache = new Map<string, CampaignTerms>();

  constructor(private readonly deps: { db: Database; jobs: Jobs; clock: Clock; factories: FactoryService; progress: ProgressSource }) {}

  async create(input: CreateCampaignInput): Promise<CampaignRow> {
    return this.deps.db.transaction((tx) => this.createIn(tx, input));
  }

  /** Creates the draft in the caller's transaction (a concept's launch makes its campaign and marks itself launched at once). */
  async createIn(tx: Tx, input: CreateCampaignInput): Promise<CampaignRow> {
    this.checkClosesInFuture(input.closesAt);
    const campaign = Object.assign(draftRow(input), { id: newId(), createdAt: this.deps.clock.now() });
    if (!(await this.deps.factories.exists(tx, input.factoryId))) throw notFound('The factory');
    await tx.insert(CampaignRow, campaign);
    return campaign;
  }

  /**
   * An edit of a draft: the fields given replace the draft's (null clears an optional one), and the draft as
   * edited must pass the create body's rules; refused with 409 campaign_not_draft once it is published.
   */
  async update(campaignId: string, edit: UpdateCampaignInput): Promise<CampaignRow> {
    return this.deps.db.transaction(async (tx) => {
      const campaign = await this.lock(tx, campaignId);
      if (campaign.status !== 'draft') throw conflict('campaign_not_draft', `Only a draft can be edited; this campaign is ${campaign.status}.`);
      const merged: Record<string, unknown> = { ...inputOf(campaign) };
      for (const [field, value] of Object.entries(edit)) {
        if (value === null) delete merged[field];
        else if (value !== undefined) merged[field] = value;
      }
      if (edit.closesAt) this.checkClosesInFuture(edit.closesAt);
      const input = parse(campaignRules, merged, 'body', 'validation_failed') as CreateCampaignInput;
      if (edit.factoryId && !(await this.deps.factories.exists(tx, input.factoryId))) throw notFound('The factory');
      const { id, createdAt, status, reservedUnits } = campaign;
      const edited = Object.assign(draftRow(input), { id, createdAt, status, reservedUnits });
      const { id: _id, ...fields } = edited;
      await tx.update(CampaignRow, { id }, fields);
      return edited;
    });
  }

  /** A create body's draft as it would be made, not saved: what POST /v1/campaigns/preview shows. Refused as a create would be. */
  async preview(input: CreateCampaignInput): Promise<CampaignRow> {
    this.checkClosesInFuture(input.closesAt);
    if (!(await this.deps.db.read((tx) => this.deps.factories.exists(tx, input.factoryId)))) throw notFound('The factory');
    return Object.assign(draftRow(input), { id: '', createdAt: this.deps.clock.now() });
  }

  /** Checked against the service's clock, not the edge's wall clock: "now" is one thing in the whole service. */
  private checkClosesInFuture(closesAt: Date): void {
    if (closesAt > this.deps.clock.now()) return;
    const error = { path: 'body.closesAt', message: 'must be in the future', reason: 'not_in_future' };
    throw badRequest('validation_failed', `The request body is not valid: ${error.path}: ${error.message}.`, [error]);
  }

  /** Draft → scheduled (or open at once if its window has begun); the open and close jobs are scheduled with it. */
  async publish(campaignId: string): Promise<CampaignRow> {
    return this.deps.db.transaction(async (tx) => {
      const campaign = await this.lock(tx, campaignId);
      if (campaign.status !== 'draft') throw conflict('campaign_not_draft', `Only a draft can be published; this campaign is ${campaign.status}.`);
      const now = this.deps.clock.now();
      if (campaign.closesAt <= now) throw conflict('campaign_window_passed', 'The pledge window has already closed; create a new campaign.');
      campaign.status = campaign.opensAt <= now ? 'open' : 'scheduled';
      campaign.publishedAt = now;
      await tx.update(CampaignRow, { id: campaign.id }, { status: campaign.status, publishedAt: now });
      if (campaign.status === 'scheduled') await this.deps.jobs.enqueue(tx, OPEN_JOB, { campaignId }, { runAt: campaign.opensAt, key: campaignId });
      await this.scheduleClose(tx, campaign);
      return campaign;
    });
  }

  /** Ends the pledge window now; the decision follows as at a normal close. */
  async closeNow(campaignId: string): Promise<CampaignRow> {
    return this.deps.db.transaction(async (tx) => {
      const campaign = await this.lock(tx, campaignId);
      if (!isUndecided(campaign)) throw conflict('campaign_not_open', `Only a scheduled or open campaign can be closed; this one is ${campaign.status}.`);
      const now = this.deps.clock.now();
      if (campaign.closesAt > now) {
        // A campaign closed before it opened keeps a window that reads right: it opened and closed at this moment.
        const window = { closesAt: now, ...(campaign.opensAt > now && { opensAt: now }) };
        Object.assign(campaign, window);
        await tx.update(CampaignRow, { id: campaign.id }, window);
      }
      await this.scheduleClose(tx, campaign);
      return campaign;
    });
  }

  /** Anyone sees published campaigns; drafts (and drafts discarded unpublished) only operators. */
  async get(actor: Principal | undefined, campaignId: string): Promise<{ campaign: CampaignRow; progress: CampaignProgress | undefined }> {
    return this.deps.db.read(async (tx) => {
      const campaign = await tx.findOneBy(CampaignRow, { id: campaignId });
      if (!campaign || (!isPublished(campaign) && actor?.role !== 'operator')) throw notFound('The campaign');
      const progress = await this.deps.progress.progress(tx, [campaign.id]);
      return { campaign, progress: progress.get(campaign.id) };
    });
  }

  async list(actor: Principal | undefined, query: PageQuery & { status?: CampaignStatus; factoryId?: string; q?: string }) {
    return this.deps.db.read(async (tx) => {
      const visible = actor?.role === 'operator' ? undefined : PUBLIC_STATUSES;
      const statuses = query.status ? (visible && !visible.includes(query.status) ? [] : [query.status]) : visible;
      const where = {
        ...(statuses ? { status: In(statuses) } : {}),
        ...(visible ? { publishedAt: Not(IsNull()) } : {}),
        ...(query.factoryId ? { factoryId: query.factoryId } : {}),
        // The text as it is: % and _ (and the escape itself) are matched literally, with an escape both databases read alike.
        ...(query.q ? { title: Raw((column) => `${column} LIKE :title ESCAPE '!'`, { title: `%${query.q.replace(/[!%_]/g, (c) => `!${c}`)}%` }) } : {}),
      };
      const [items, total] = await tx.findAndCount(CampaignRow, { where, order: { closesAt: 'ASC', id: 'ASC' }, skip: query.offset, take: query.limit });
      const progress = await this.deps.progress.progress(
        tx,
        items.map((c) => c.id),
      );
      return { items: items.map((campaign) => ({ campaign, progress: progress.get(campaign.id) })), total };
    });
  }

  /** Campaigns by id, or whose title contains `text` (an operator's search), newest first: at most `limit`. */
  async search(
    where: { ids?: readonly string[]; titleContains?: string },
    limit: number,
  ): Promise<Pick<CampaignRow, 'id' | 'title' | 'status' | 'factoryId' | 'options'>[]> {
    const { ids = [], titleContains } = where;
    if (ids.length === 0 && !titleContains) return [];
    return this.deps.db.read((tx) => {
      const query = tx.createQueryBuilder(CampaignRow, 'c').select(['c.id', 'c.title', 'c.status', 'c.factoryId', 'c.options']);
      if (ids.length > 0) query.orWhere('c.id IN (:...ids)', { ids });
      // `!` escapes LIKE's wildcards typed in the search box: a title with "50%" is found as written.
      if (titleContains) query.orWhere("c.title LIKE :title ESCAPE '!'", { title: `%${titleContains.replace(/[!%_]/g, '!$&')}%` });
      return query.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'ASC').take(limit).getMany();
    });
  }

  /**
   * A consumer's deal for a variant and quantity: refused as a pledge would be (checkChoice, then a window
   * that has closed, then too few units left), and computed by quoteOf from the campaign's terms and its
   * paid units. A quote is offered before the window opens too (an upcoming campaign's page explains
   * its deal; an operator previews a draft's, which no one else sees); reads only.
   */
  async quote(actor: Principal | undefined, campaignId: string, input: { variant: Record<string, string>; quantity: number }): Promise<Quote> {
    const { campaign, progress } = await this.get(actor, campaignId);
    checkChoice(campaign, input);
    const now = this.deps.clock.now();
    // Offered before the window opens too (an upcoming campaign's page explains its deal), and for a draft
    // to the operators who alone can see it (a preview of its deal).
    const window = pledgeWindow(campaign, now);
    if (!window.open && window.reason !== 'not_yet_open' && window.reason !== 'not_published')
      throw conflict('campaign_not_open', windowRefusal(campaign, window));
    if (campaign.maxUnits !== null && campaign.reservedUnits + input.quantity > campaign.maxUnits) {
      const left = Math.max(0, campaign.maxUnits - campaign.reservedUnits);
      throw conflict('campaign_sold_out', left === 0 ? 'The campaign is sold out: every unit is taken.' : `Only ${left} units are left; pledge fewer.`);
    }
    return quoteOf(campaign, progress?.paidUnits ?? 0, input.quantity);
  }

  // ---- for the pledges module ----

  /**
   * The terms of a campaign that never change once it is created (options, deposit, limits), cached
   * in memory so that placing a pledge does not read the hot campaign row. Not its state: that is
   * checked by reserveUnits' conditional update.
   */
  async terms(campaignId: string): Promise<CampaignTerms | undefined> {
    const cached = this.termsCache.get(campaignId);
    if (cached) return cached;
    const campaign = await this.deps.db.read((tx) => tx.findOneBy(CampaignRow, { id: campaignId }));
    if (!campaign || !isPublished(campaign)) return undefined;
    const terms: CampaignTerms = Object.freeze({
      id: campaign.id,
      options: campaign.options,
      depositPerUnit: campaign.depositPerUnit,
      perConsumerLimit: campaign.perConsumerLimit,
    });
    if (this.termsCache.size >= 10_000) this.termsCache.clear();
    this.termsCache.set(campaignId, terms);
    return terms;
  }

  async find(tx: Tx, campaignId: string): Promise<CampaignRow | null> {
    return tx.findOneBy(CampaignRow, { id: campaignId });
  }

  /** The campaign row locked for a decision (MySQL row lock; SQLite is serialised anyway). */
  async lock(tx: Tx, campaignId: string): Promise<CampaignRow> {
    const campaign = await tx.findOne(CampaignRow, { where: { id: campaignId }, lock: this.deps.db.rowLock() });
    if (!campaign) throw notFound('The campaign');
    return campaign;
  }

  /**
   * Reserves units against the cap with ONE conditional update: it succeeds only while the window is
   * open (campaign.ts isTakingPledges, in SQL) and the cap holds, so no interleaving of requests can
   * oversell, on either database.
   */
  async reserveUnits(tx: Tx, campaignId: string, quantity: number, now: Date): Promise<boolean> {
    const result = await tx
      .createQueryBuilder()
      .update(CampaignRow)
      .set({ reservedUnits: () => `reserved_units + ${Number(quantity)}` })
      .where('id = :id', { id: campaignId })
      .andWhere(WINDOW_OPEN_AT, { now })
      .andWhere('(max_units IS NULL OR reserved_units + :quantity <= max_units)', { quantity })
      .execute();
    return result.affected === 1;
  }

  /**
   * Gives units back only while the window is open on the campaign row itself, checked by the UPDATE that takes
   * the row's lock (the rule of reserveUnits): a consumer's cancel then waits for a decision being made and is
   * refused after it, instead of cancelling a pledge the decision has just counted as paid (MySQL).
   */
  async releaseUnitsWhileOpen(tx: Tx, campaignId: string, quantity: number, now: Date): Promise<boolean> {
    const result = await tx
      .createQueryBuilder()
      .update(CampaignRow)
      .set({ reservedUnits: () => `reserved_units - ${Number(quantity)}` })
      .where('id = :id', { id: campaignId })
      .andWhere(WINDOW_OPEN_AT, { now })
      .execute();
    return result.affected === 1;
  }

  async releaseUnits(tx: Tx, campaignId: string, quantity: number): Promise<void> {
    await tx
      .createQueryBuilder()
      .update(CampaignRow)
      .set({ reservedUnits: () => `reserved_units - ${Number(quantity)}` })
      .where('id = :id', { id: campaignId })
      .execute();
  }

  /** Writes a decision or a cancel (CampaignDecisions). */
  async record(
    tx: Tx,
    campaign: Pick<CampaignRow, 'id'>,
    patch: Partial<Pick<CampaignRow, 'status' | 'finalUnitPrice' | 'droppedVariants' | 'balanceDueAt' | 'decidedAt' | 'cancelledAt' | 'cancelReason'>>,
  ): Promise<void> {
    await tx.update(CampaignRow, { id: campaign.id }, patch);
  }

  /** A factory's published campaigns (whatever their status now), oldest deadline first. */
  async ofFactory(tx: Tx, factoryId: string): Promise<CampaignRow[]> {
    return tx.find(CampaignRow, { where: { factoryId, publishedAt: Not(IsNull()) }, order: { closesAt: 'ASC', id: 'ASC' } });
  }

  /** Of these campaigns, the ones published (public), in one read. */
  async publishedIds(tx: Tx, campaignIds: readonly string[]): Promise<string[]> {
    if (campaignIds.length === 0) return [];
    const rows = await tx.find(CampaignRow, { select: { id: true }, where: { id: In([...campaignIds]), publishedAt: Not(IsNull()) } });
    return rows.map((c) => c.id);
  }

  async finalCampaignIds(tx: Tx): Promise<string[]> {
    return (await tx.find(CampaignRow, { select: { id: true }, where: { status: In(['failed', 'cancelled', 'completed']) } })).map((c) => c.id);
  }

  async markCompleted(tx: Tx, campaignId: string): Promise<void> {
    await tx.update(CampaignRow, { id: campaignId, status: 'succeeded' }, { status: 'completed', completedAt: this.deps.clock.now() });
  }

  /** Runs the close job again at `at` (a deposit in flight at the deadline is waited for). */
  async scheduleClose(tx: Tx, campaign: Pick<CampaignRow, 'id' | 'closesAt'>, at: Date = campaign.closesAt): Promise<void> {
    await this.deps.jobs.enqueue(tx, CLOSE_JOB, { campaignId: campaign.id }, { runAt: at, key: `${campaign.id}:${at.getTime()}` });
  }

  /** The open job: a scheduled campaign's window has begun. */
  async open(campaignId: string): Promise<void> {
    await this.deps.db.transaction((tx) => tx.update(CampaignRow, { id: campaignId, status: 'scheduled' }, { status: 'open' }));
  }
}
