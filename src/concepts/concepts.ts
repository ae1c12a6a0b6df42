import { In, LessThanOrEqual, MoreThan } from 'typeorm';
import { type CampaignRow, CreateCampaignBody, type CreateCampaignInput, type OptionDimension } from '../campaigns';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { AppError, badRequest, conflict, notFound } from '../platform/http/app-error';
import { type Principal, canActForFactory } from '../platform/http/principal';
import { type Exact, Fraction } from '../platform/exact';
import { newId } from '../platform/ids';
import { formatMoney, parseMoney } from '../platform/money';
import { type IndexSettings, type LaunchGate, type ProductIndex, passesGate, platformMean, productIndex, scoreOf, shown2 } from './concept-index';
import { type ConceptPhase, type ConceptStatus, ConceptRow, RatingRow, TrialApplicationRow, phaseOf } from './concept.entity';

type Consumer = Extract<Principal, { role: 'consumer' }>;
type Operator = Extract<Principal, { role: 'operator' }>;
type Factory = Extract<Principal, { role: 'factory' }>;

/** What concepts read of shop owners (the shops module's ShopOwners): who owns an approved shop, and a shop's name. */
export interface ShopDirectory {
  approvedShopOf(tx: Tx, userId: string): Promise<string | null>;
  find(tx: Tx, shopId: string): Promise<{ name: string; code: string | null } | null>;
}

/** What concepts need of factories and campaigns (their services). */
export interface ConceptPorts {
  factories: { exists(tx: Tx, factoryId: string): Promise<boolean>; names(ids: readonly string[]): Promise<Map<string, string>> };
  campaigns: { createIn(tx: Tx, input: CreateCampaignInput): Promise<CampaignRow> };
  shops: ShopDirectory;
}

/** A concept with what its ratings say. */
export interface ConceptView {
  concept: ConceptRow;
  phase: ConceptPhase;
  applications: { applied: number; picked: number };
  index: ProductIndex;
  dimensions: { performance: number | null; priceAcceptance: number | null; design: number | null; packaging: number | null };
  intent: { yes: number; share: number | null; units: number };
  /** Ratings with a comment, newest first. */
  comments: RatingRow[];
  gate: LaunchGate & { passes: boolean };
}

/** A concept as a shop owner sees it, with their own application and rating. */
export interface Trial {
  concept: ConceptRow;
  phase: ConceptPhase;
  factoryName: string;
  application: TrialApplicationRow | null;
  rating: RatingRow | null;
}

export interface TrialApplication {
  application: TrialApplicationRow;
  shopName: string;
  shopCode: string;
}

/** A proposal, as checked at the edge (concept.schemas.ts). */
export interface ConceptInput {
  title: string;
  description: string;
  photoUrls: string[];
  options: OptionDimension[];
  targetPrice: string;
  minimumRun: number;
  trialPlaces: number;
  trialOpensAt: string;
  trialClosesAt: string;
}

export interface RatingInput {
  performance: number;
  priceAcceptance: number;
  design: number;
  packaging: number;
  comment: string;
  wouldPreorder: boolean;
  preorderUnits: number;
}

/** The campaign terms a concept does not carry, given by the operator who launches it. */
export interface LaunchInput {
  depositRate: string;
  referencePrice?: string;
  opensAt: string;
  closesAt: string;
  balanceWindowHours: number;
  expectedShipDate: string;
  overrideReason?: string;
}

/** A dimension's mean as shown: exact, rounded half up to two decimals (the ratings are whole numbers). */
const meanOf = (xs: number[]) =>
  xs.length === 0
    ? null
    : shown2(
        new Fraction(
          xs.reduce((a, b) => a + b, 0),
          xs.length,
        ),
      );

/**
 * Product concepts before launch (docs/selection.md § Concepts): a factory (or an operator for it) proposes one;
 * an operator opens its sample trial; shop owners apply and an operator picks up to the places offered; picked
 * shop owners rate it once each (editable until the trial closes); the index and the stated intent say whether
 * to make it; the launch gate turns a passing concept (or, with a written reason, a failing one) into a campaign.
 */
export class Concepts {
  constructor(private readonly deps: ConceptPorts & { db: Database; clock: Clock; settings: IndexSettings & { launch: LaunchGate } }) {}

  // ---- proposals: factories for themselves, operators for any factory ----

  async propose(actor: Factory | Operator, input: ConceptInput & { factoryId?: string }): Promise<ConceptView> {
    const now = this.deps.clock.now();
    const factoryId = actor.role === 'factory' ? actor.factoryId : input.factoryId!;
    if (new Date(input.trialClosesAt) <= now) {
      const error = { path: 'body.trialClosesAt', message: 'must be in the future', reason: 'not_in_future' };
      throw badRequest('validation_failed', `The request body is not valid: ${error.path}: ${error.message}.`, [error]);
    }
    const concept = Object.assign(new ConceptRow(), {
      id: newId(),
      factoryId,
      proposedBy: actor.role,
      status: 'draft' as ConceptStatus,
      title: input.title,
      description: input.description,
      photoUrls: input.photoUrls,
      options: input.options,
      targetPrice: parseMoney(input.targetPrice),
      minimumRun: input.minimumRun,
      trialPlaces: input.trialPlaces,
      trialOpensAt: new Date(input.trialOpensAt),
      trialClosesAt: new Date(input.trialClosesAt),
      rejectionReason: null,
      campaignId: null,
      launchedBy: null,
      launchedAt: null,
      overrideReason: null,
      createdAt: now,
      updatedAt: now,
    });
    return this.deps.db.transaction(async (tx) => {
      if (!(await this.deps.factories.exists(tx, factoryId))) throw notFound('The factory');
      await tx.insert(ConceptRow, concept);
      return (await this.views(tx, [concept]))[0];
    });
  }

  /** Operators see every concept; a factory its own. */
  async list(
    actor: Factory | Operator,
    query: { status?: ConceptStatus; factoryId?: string; limit: number; offset: number },
  ): Promise<{ items: ConceptView[]; total: number }> {
    const factoryId = actor.role === 'factory' ? actor.factoryId : query.factoryId;
    return this.deps.db.read(async (tx) => {
      const [items, total] = await tx.findAndCount(ConceptRow, {
        where: { ...(factoryId ? { factoryId } : {}), ...(query.status ? { status: query.status } : {}) },
        order: { createdAt: 'DESC', id: 'ASC' },
        take: query.limit,
        skip: query.offset,
      });
      return { items: await this.views(tx, items), total };
    });
  }

  /** A concept the caller may see; another factory's is "not found". */
  async get(actor: Factory | Operator, conceptId: string): Promise<ConceptView> {
    return this.deps.db.read(async (tx) => {
      const concept = await tx.findOneBy(ConceptRow, { id: conceptId });
      if (!concept || !canActForFactory(actor, concept.factoryId)) throw notFound('The concept');
      return (await this.views(tx, [concept]))[0];
    });
  }

  // ---- operators: the trial ----

  /** Draft → trial: shop owners may apply from trialOpensAt until it closes. */
  async openTrial(conceptId: string): Promise<ConceptView> {
    return this.change(conceptId, (concept, now) => {
      if (concept.status !== 'draft')
        throw conflict(
          'concept_not_draft',
          `只有草稿可以开启试用（现在是 ${concept.status}）。 Only a draft can open its trial; this concept is ${concept.status}.`,
        );
      if (concept.trialClosesAt <= now)
        throw conflict('concept_trial_window_passed', '试用期已经结束，请重新提交概念。 The trial window has already passed; propose the concept again.');
      return { status: 'trial' };
    });
  }

  async reject(conceptId: string, reason: string): Promise<ConceptView> {
    return this.change(conceptId, (concept) => {
      if (concept.status !== 'draft' && concept.status !== 'trial')
        throw conflict('concept_decided', `这个概念已经处理过了（${concept.status}）。 The concept was already decided (${concept.status}).`);
      return { status: 'rejected', rejectionReason: reason };
    });
  }

  private async change(conceptId: string, decide: (concept: ConceptRow, now: Date) => Partial<ConceptRow>): Promise<ConceptView> {
    return this.deps.db.transaction(async (tx) => {
      const concept = await this.lock(tx, conceptId);
      const now = this.deps.clock.now();
      const change = { ...decide(concept, now), updatedAt: now };
      await tx.update(ConceptRow, { id: conceptId }, change);
      return (await this.views(tx, [Object.assign(concept, change)]))[0];
    });
  }

  /** Every application for the concept's samples, oldest first, with the shop's name. */
  async applications(conceptId: string): Promise<TrialApplication[]> {
    return this.deps.db.read(async (tx) => {
      if (!(await tx.existsBy(ConceptRow, { id: conceptId }))) throw notFound('The concept');
      return this.named(tx, await tx.find(TrialApplicationRow, { where: { conceptId }, order: { appliedAt: 'ASC', id: 'ASC' } }));
    });
  }

  /** Picks applicants for a sample, up to the places offered (under the concept's row lock); picking a picked one again changes nothing. */
  async pick(operator: Operator, conceptId: string, applicationIds: string[]): Promise<TrialApplication[]> {
    return this.deps.db.transaction(async (tx) => {
      const concept = await this.lock(tx, conceptId);
      const now = this.deps.clock.now();
      this.refuseUnlessTrialOpen(concept, now);
      const all = await tx.find(TrialApplicationRow, { where: { conceptId }, order: { appliedAt: 'ASC', id: 'ASC' } });
      const unknown = applicationIds.filter((id) => !all.some((a) => a.id === id));
      if (unknown.length > 0) throw notFound(`The trial application ${unknown[0]}`);
      const toPick = all.filter((a) => applicationIds.includes(a.id) && a.status === 'applied');
      const picked = all.filter((a) => a.status === 'picked').length;
      if (picked + toPick.length > concept.trialPlaces)
        throw conflict(
          'trial_places_full',
          `试用名额只有 ${concept.trialPlaces} 个，已选 ${picked} 个。 The trial has ${concept.trialPlaces} places and ${picked} are taken; pick at most ${concept.trialPlaces - picked} more.`,
        );
      if (toPick.length > 0) {
        const change = { status: 'picked' as const, pickedBy: operator.userId, pickedAt: now };
        await tx.update(TrialApplicationRow, { id: In(toPick.map((a) => a.id)) }, change);
        toPick.forEach((a) => Object.assign(a, change));
      }
      return this.named(tx, all);
    });
  }

  // ---- shop owners ----

  /** Which of these shops have rated a trial (the marks module's activity rule, docs/selection.md § Who counts). */
  async ratedShops(shopIds: readonly string[]): Promise<Set<string>> {
    if (shopIds.length === 0) return new Set();
    const rows = await this.deps.db.read((tx) => tx.find(RatingRow, { select: { shopId: true }, where: { shopId: In([...shopIds]) } }));
    return new Set(rows.map((r) => r.shopId));
  }

  /** Trials open for applications, then those the caller applied to (any phase), each with the caller's application and rating. */
  async trials(consumer: Consumer): Promise<{ shopOwner: boolean; items: Trial[] }> {
    const now = this.deps.clock.now();
    const { shopId, concepts, applications, ratings } = await this.deps.db.read(async (tx) => {
      const shopId = await this.deps.shops.approvedShopOf(tx, consumer.userId);
      const open = await tx.find(ConceptRow, {
        where: { status: 'trial', trialOpensAt: LessThanOrEqual(now), trialClosesAt: MoreThan(now) },
        order: { trialClosesAt: 'ASC', id: 'ASC' },
        take: 50,
      });
      const applications = shopId ? await tx.find(TrialApplicationRow, { where: { shopId }, order: { appliedAt: 'DESC' }, take: 50 }) : [];
      const appliedIds = applications.map((a) => a.conceptId).filter((id) => !open.some((c) => c.id === id));
      const applied = appliedIds.length > 0 ? await tx.find(ConceptRow, { where: { id: In(appliedIds) }, order: { trialClosesAt: 'DESC' } }) : [];
      const ratings = shopId ? await tx.find(RatingRow, { where: { shopId } }) : [];
      return { shopId, concepts: [...open, ...applied], applications, ratings };
    });
    const names = await this.deps.factories.names([...new Set(concepts.map((c) => c.factoryId))]);
    return {
      shopOwner: shopId !== null,
      items: concepts.map((concept) => ({
        concept,
        phase: phaseOf(concept, now),
        factoryName: names.get(concept.factoryId) ?? '',
        application: applications.find((a) => a.conceptId === concept.id) ?? null,
        rating: ratings.find((r) => r.conceptId === concept.id) ?? null,
      })),
    };
  }

  /** A shop owner applies for a sample while the trial is open: once per shop and concept (a unique index). */
  async apply(consumer: Consumer, conceptId: string): Promise<Trial> {
    const now = this.deps.clock.now();
    let applied: { concept: ConceptRow; application: TrialApplicationRow };
    try {
      applied = await this.deps.db.transaction(async (tx) => {
        const shopId = await this.shopOf(tx, consumer);
        const concept = await this.inTrial(tx, conceptId);
        if (phaseOf(concept, now) !== 'trial_open')
          throw conflict('concept_trial_not_open', '这个新品现在不接受试用申请。 This concept is not taking trial applications now.');
        const application = Object.assign(new TrialApplicationRow(), {
          id: newId(),
          conceptId,
          shopId,
          status: 'applied' as const,
          appliedAt: now,
          pickedBy: null,
          pickedAt: null,
        });
        await tx.insert(TrialApplicationRow, application);
        return { concept, application };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw conflict('concept_trial_applied', '你已经申请过这个新品的试用。 You have already applied for this trial.');
    }
    return this.trialOf(applied.concept, applied.application, null);
  }

  /**
   * A picked shop owner's rating: the first makes it, later ones change it, until the trial closes (then 409).
   * Two first ratings at once: one insert wins the unique index, the other runs again and changes it.
   */
  async rate(consumer: Consumer, conceptId: string, input: RatingInput): Promise<Trial> {
    const attempt = () =>
      this.deps.db.transaction(async (tx) => {
        const now = this.deps.clock.now();
        const shopId = await this.shopOf(tx, consumer);
        const concept = await this.inTrial(tx, conceptId);
        const application = await tx.findOneBy(TrialApplicationRow, { conceptId, shopId });
        if (application?.status !== 'picked')
          throw new AppError(403, 'not_picked_for_trial', '只有被选中试用的店主才能评分。 Only shop owners picked for the trial may rate this concept.');
        if (phaseOf(concept, now) !== 'trial_open')
          throw conflict('concept_trial_closed', '试用已经结束，评分不能再修改。 The trial has closed: ratings can no longer be given or changed.');
        const existing = await tx.findOneBy(RatingRow, { conceptId, shopId });
        const rating = Object.assign(existing ?? Object.assign(new RatingRow(), { id: newId(), conceptId, shopId, createdAt: now }), input, { updatedAt: now });
        if (existing) await tx.update(RatingRow, { id: existing.id }, { ...input, updatedAt: now });
        else await tx.insert(RatingRow, rating);
        return { concept, application, rating };
      });
    let rated: Awaited<ReturnType<typeof attempt>>;
    try {
      rated = await attempt();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      rated = await attempt();
    }
    return this.trialOf(rated.concept, rated.application, rated.rating);
  }

  // ---- the launch gate ----

  /**
   * Makes the campaign (a draft) from a concept whose trial has closed, carrying its title, description, first
   * photo, options, target price (the tier) and minimum run (the threshold), and marks the concept launched, in
   * one transaction. A concept below the gate is refused (409 concept_below_launch_gate, with its figures) unless
   * the operator gives a written reason, stored with who and when.
   */
  async launch(operator: Operator, conceptId: string, input: LaunchInput): Promise<{ view: ConceptView; campaign: CampaignRow }> {
    return this.deps.db.transaction(async (tx) => {
      const concept = await this.lock(tx, conceptId);
      const now = this.deps.clock.now();
      if (concept.status === 'launched') throw conflict('concept_launched', '这个概念已经上线了。 This concept was already launched.');
      if (concept.status !== 'trial')
        throw conflict('concept_not_in_trial', `这个概念没有在试用中（${concept.status}）。 This concept is not in trial (${concept.status}).`);
      if (phaseOf(concept, now) !== 'trial_closed')
        throw conflict(
          'concept_trial_not_closed',
          '试用结束后才能上线：评分还可能改变。 A concept is launched once its trial has closed: its ratings may still change.',
        );
      const campaignInput = campaignFrom(concept, input);
      const [view] = await this.views(tx, [concept]);
      if (!view.gate.passes && !input.overrideReason) {
        const { value, ratings } = view.index;
        const { minIndex, minRatings } = view.gate;
        throw conflict(
          'concept_below_launch_gate',
          `指数 ${value.toFixed(2)}（${ratings} 条评分）未达到上线门槛（指数 ${minIndex.toFixed(1)}、${minRatings} 条评分）；如仍要上线，请写明理由。 The index ${value.toFixed(2)} on ${ratings} ratings is below the launch gate (index ${minIndex.toFixed(1)}, ${minRatings} ratings); to launch anyway, give overrideReason.`,
        );
      }
      const campaign = await this.deps.campaigns.createIn(tx, campaignInput);
      const change = {
        status: 'launched' as const,
        campaignId: campaign.id,
        launchedBy: operator.userId,
        launchedAt: now,
        overrideReason: view.gate.passes ? null : input.overrideReason!,
        updatedAt: now,
      };
      await tx.update(ConceptRow, { id: conceptId }, change);
      return { view: { ...view, concept: Object.assign(concept, change), phase: 'launched' }, campaign };
    });
  }

  // ---- reads ----

  /** Each concept with its figures: one read of the platform mean, the concepts' ratings and applications. */
  private async views(tx: Tx, concepts: ConceptRow[]): Promise<ConceptView[]> {
    if (concepts.length === 0) return [];
    const now = this.deps.clock.now();
    const ids = concepts.map((c) => c.id);
    const [m, ratings, applications] = await Promise.all([
      this.platformMean(tx),
      tx.find(RatingRow, { where: { conceptId: In(ids) }, order: { updatedAt: 'DESC', id: 'ASC' } }),
      tx.find(TrialApplicationRow, { select: { conceptId: true, status: true }, where: { conceptId: In(ids) } }),
    ]);
    const { launch, ...settings } = this.deps.settings;
    return concepts.map((concept) => {
      const own = ratings.filter((r) => r.conceptId === concept.id);
      const apps = applications.filter((a) => a.conceptId === concept.id);
      const index = productIndex(own.map(scoreOf), m, settings);
      const yes = own.filter((r) => r.wouldPreorder);
      return {
        concept,
        phase: phaseOf(concept, now),
        applications: { applied: apps.length, picked: apps.filter((a) => a.status === 'picked').length },
        index,
        dimensions: {
          performance: meanOf(own.map((r) => r.performance)),
          priceAcceptance: meanOf(own.map((r) => r.priceAcceptance)),
          design: meanOf(own.map((r) => r.design)),
          packaging: meanOf(own.map((r) => r.packaging)),
        },
        intent: {
          yes: yes.length,
          share: own.length === 0 ? null : shown2(new Fraction(yes.length, own.length)),
          units: yes.reduce((sum, r) => sum + r.preorderUnits, 0),
        },
        comments: own.filter((r) => r.comment !== ''),
        gate: { ...launch, passes: passesGate(index, launch) },
      };
    });
  }

  /** m: the mean of every rated concept's mean score. */
  private async platformMean(tx: Tx): Promise<Exact> {
    const { rows } = await this.deps.db.sql<{ total: number | string; n: number | string }>(
      tx,
      'SELECT SUM(performance + price_acceptance + design + packaging) AS total, COUNT(*) AS n FROM concept_ratings GROUP BY concept_id',
    );
    return platformMean(
      rows.map((r) => new Fraction(Number(r.total), 4 * Number(r.n))),
      this.deps.settings,
    );
  }

  /** After the transaction: names() reads on its own. */
  private async trialOf(concept: ConceptRow, application: TrialApplicationRow, rating: RatingRow | null): Promise<Trial> {
    const names = await this.deps.factories.names([concept.factoryId]);
    return { concept, phase: phaseOf(concept, this.deps.clock.now()), factoryName: names.get(concept.factoryId) ?? '', application, rating };
  }

  private async named(tx: Tx, applications: TrialApplicationRow[]): Promise<TrialApplication[]> {
    const shops = new Map<string, { name: string; code: string | null } | null>();
    for (const shopId of new Set(applications.map((a) => a.shopId))) shops.set(shopId, await this.deps.shops.find(tx, shopId));
    return applications.map((application) => ({
      application,
      shopName: shops.get(application.shopId)?.name ?? '',
      shopCode: shops.get(application.shopId)?.code ?? '',
    }));
  }

  private async lock(tx: Tx, conceptId: string): Promise<ConceptRow> {
    const concept = await tx.findOne(ConceptRow, { where: { id: conceptId }, lock: this.deps.db.rowLock() });
    if (!concept) throw notFound('The concept');
    return concept;
  }

  /** A concept shop owners may act on: one in trial (a draft is no one's but its factory's and the operators'). */
  private async inTrial(tx: Tx, conceptId: string): Promise<ConceptRow> {
    const concept = await tx.findOneBy(ConceptRow, { id: conceptId });
    if (!concept || concept.status === 'draft') throw notFound('The concept');
    if (concept.status !== 'trial') throw conflict('concept_trial_closed', '试用已经结束。 The trial has closed.');
    return concept;
  }

  private refuseUnlessTrialOpen(concept: ConceptRow, now: Date): void {
    const phase = phaseOf(concept, now);
    if (phase === 'trial_closed' || phase === 'launched' || phase === 'rejected')
      throw conflict('concept_trial_closed', '试用已经结束。 The trial has closed.');
    if (phase !== 'trial_open') throw conflict('concept_trial_not_open', '试用还没有开始。 The trial is not open yet.');
  }

  private async shopOf(tx: Tx, consumer: Consumer): Promise<string> {
    const shopId = await this.deps.shops.approvedShopOf(tx, consumer.userId);
    if (!shopId) throw new AppError(403, 'not_a_shop_owner', '你还不是店主。 You are not a shop owner (apply: POST /v1/shop-applications).');
    return shopId;
  }
}

/** The campaign a concept becomes, checked as POST /v1/campaigns checks one (400 naming the launch's fields). */
function campaignFrom(concept: ConceptRow, input: LaunchInput): CreateCampaignInput {
  const price = formatMoney(concept.targetPrice);
  const parsed = CreateCampaignBody.safeParse({
    factoryId: concept.factoryId,
    title: concept.title,
    productName: concept.title,
    description: concept.description,
    options: concept.options,
    ...(concept.photoUrls[0] && { imageUrl: concept.photoUrls[0] }),
    referencePrice: input.referencePrice ?? price,
    depositRate: input.depositRate,
    tiers: [{ minUnits: concept.minimumRun, unitPrice: price }],
    opensAt: input.opensAt,
    closesAt: input.closesAt,
    balanceWindowHours: input.balanceWindowHours,
    expectedShipDate: input.expectedShipDate,
  });
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({ path: launchField(issue.path.map(String).join('.')), message: issue.message }));
  throw badRequest('validation_failed', `The campaign would not be valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
}

/**
 * The field a campaign's issue is about, as the launch names it: the launch body's own (body.referencePrice), or the
 * concept's for what it supplies. The one tier's price is the concept's target price, so a tier above the reference
 * price is the reference price the launch gave; the tier's units are the concept's minimum run.
 */
function launchField(campaignPath: string): string {
  const fromConcept: Record<string, string> = {
    'tiers.0.unitPrice': 'body.referencePrice',
    'tiers.0.minUnits': 'concept.minimumRun',
    title: 'concept.title',
    productName: 'concept.title',
    description: 'concept.description',
    options: 'concept.options',
    imageUrl: 'concept.photoUrls',
  };
  const [field] = campaignPath.split('.');
  return fromConcept[campaignPath] ?? fromConcept[field] ?? `body.${campaignPath}`;
}
