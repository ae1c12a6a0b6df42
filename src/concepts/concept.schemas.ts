import { z } from 'zod';
import { shownText } from '../platform/text';
import { CampaignDocument, imageUrl, optionDimension } from '../campaigns';
import { idSchema as id } from '../platform/ids';
import { pageQuery } from '../platform/http/paginate';
import { formatMoney, moneyString as money, parseMoney } from '../platform/money';
import {
  APPLICATION_STATUSES,
  CONCEPT_PHASES,
  CONCEPT_STATUSES,
  type ConceptPhase,
  type ConceptRow,
  type RatingRow,
  type TrialApplicationRow,
} from './concept.entity';
import type { ConceptView, Trial, TrialApplication } from './concepts';

/** A written reason an operator gives: long enough to say something. */
export const MIN_REASON_LENGTH = 10;
const reason = z.string().trim().min(MIN_REASON_LENGTH, `must say why, in at least ${MIN_REASON_LENGTH} characters`).max(1000);
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-01T12:00:00+08:00' });
const score = z.number().int('must be a whole number from 0 to 10').min(0).max(10);

export const ConceptParams = z.strictObject({ id });

const ConceptFields = z.strictObject({
  title: shownText(1, 200),
  description: z.string().trim().max(4000).default(''),
  photoUrls: z.array(imageUrl).max(6).default([]),
  options: z.array(optionDimension).min(1).max(5),
  /** The price it would sell at: what "would you pre-order at ¥X?" names, and the launched campaign's tier. */
  targetPrice: money,
  minimumRun: z.number().int().min(1).max(10_000_000).meta({ description: "Units the factory must sell to make it: the launched campaign's threshold" }),
  trialPlaces: z.number().int().min(1).max(500).meta({ description: 'Samples offered: at most this many shop owners are picked' }),
  trialOpensAt: instant.meta({ description: 'Applications open (once an operator has opened the trial)' }),
  trialClosesAt: instant.meta({ description: 'The trial closes: no applications, picks or ratings after it' }),
});

const checkedConcept = <T extends z.output<typeof ConceptFields>>(fields: z.ZodType<T>) =>
  fields.pipe(
    z.custom<T>().superRefine((c, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      const names = c.options.map((o) => o.name);
      if (new Set(names).size !== names.length) issue(['options'], 'option names must be different');
      const price = parseMoney(c.targetPrice);
      if (price.isZero()) issue(['targetPrice'], 'must be above 0');
      if (price.greaterThan(parseMoney('1000000.00'))) issue(['targetPrice'], 'must be at most 1000000.00');
      if (new Date(c.trialClosesAt) <= new Date(c.trialOpensAt)) issue(['trialClosesAt'], 'must be after trialOpensAt');
      if (new Date(c.trialClosesAt).getTime() - new Date(c.trialOpensAt).getTime() > 90 * 86_400_000) issue(['trialClosesAt'], 'a trial is at most 90 days');
    }),
  );

/** A factory's own proposal (the factory is the caller's). */
export const ProposeBody = checkedConcept(ConceptFields.meta({ id: 'ConceptInput' }));
/** An operator's proposal for a factory. */
export const OperatorProposeBody = checkedConcept(ConceptFields.extend({ factoryId: id }));

export const ConceptListQuery = pageQuery.extend({ status: z.enum(CONCEPT_STATUSES).optional() });
export const OperatorConceptListQuery = ConceptListQuery.extend({ factoryId: id.optional() });

export const RejectBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const PickBody = z.strictObject({ applicationIds: z.array(id).min(1).max(500) });

export const RatingBody = z
  .strictObject({
    performance: score.meta({ description: '性能/品质' }),
    priceAcceptance: score.meta({ description: '价格接受度, at the target price' }),
    design: score.meta({ description: '设计' }),
    packaging: score.meta({ description: '包装' }),
    comment: z.string().trim().max(1000).default(''),
    wouldPreorder: z.boolean().meta({ description: '"Would you pre-order at the target price?"' }),
    preorderUnits: z.number().int().min(0).max(10_000).default(0).meta({ description: 'How many units, when wouldPreorder; 0 otherwise' }),
  })
  .refine((r) => (r.wouldPreorder ? r.preorderUnits >= 1 : r.preorderUnits === 0), {
    path: ['preorderUnits'],
    message: 'must be at least 1 when wouldPreorder is true, and 0 when it is false',
  });

export const LaunchBody = z.strictObject({
  depositRate: z.string().meta({ description: 'As a campaign\'s, e.g. "0.10"', examples: ['0.10'] }),
  /** The campaign's reference price; the target price when left out. */
  referencePrice: money.optional(),
  opensAt: instant,
  closesAt: instant,
  balanceWindowHours: z.number().int(),
  expectedShipDate: z.iso.date('must be a date such as 2027-01-15'),
  overrideReason: reason.optional().meta({
    description: `Launch although the concept is below the gate: the operator's written reason (at least ${MIN_REASON_LENGTH} characters), stored with who and when and shown on the concept`,
  }),
});

const OptionDocument = z.object({
  name: z.string(),
  values: z.array(z.string()),
  label: z.object({ zh: z.string().optional(), en: z.string().optional() }).optional(),
  valueLabels: z.record(z.string(), z.object({ zh: z.string().optional(), en: z.string().optional() })).optional(),
});

const conceptProduct = {
  id: z.uuid(),
  title: z.string(),
  description: z.string(),
  photoUrls: z.array(z.string()),
  options: z.array(OptionDocument),
  targetPrice: money,
  minimumRun: z.int(),
  trialPlaces: z.int(),
  trialOpensAt: z.iso.datetime(),
  trialClosesAt: z.iso.datetime(),
  phase: z.enum(CONCEPT_PHASES),
};

const mean = z.number().nullable().meta({ description: 'The mean of the ratings, 0–10; null before any' });

export const ConceptDocument = z
  .object({
    ...conceptProduct,
    factoryId: z.uuid(),
    proposedBy: z.enum(['factory', 'operator']),
    status: z.enum(CONCEPT_STATUSES),
    applications: z
      .object({ applied: z.int(), picked: z.int() })
      .meta({ description: 'Shop owners who applied for a sample (picked ones included), and those picked' }),
    index: z
      .object({
        value: z.number().meta({ description: "The Bayesian average (C·m + Σx)/(C + n) of the ratings' scores, two decimals (docs/selection.md § The index)" }),
        ratings: z.int().meta({ description: 'n: the ratings it rests on' }),
        low: z.number().meta({ description: 'The 95% band: value − 1.96·s/√(C + n)' }),
        high: z.number(),
        platformMean: z.number().meta({ description: "m: the mean of the rated concepts' means" }),
        priorWeight: z.int().meta({ description: 'C' }),
      })
      .meta({ id: 'ProductIndex' }),
    dimensions: z.object({ performance: mean, priceAcceptance: mean, design: mean, packaging: mean }),
    intent: z
      .object({
        /** X of "would you pre-order at ¥X?": the target price. */
        price: money,
        yes: z.int().meta({ description: 'Raters who said yes' }),
        share: z.number().nullable().meta({ description: 'Their share of the raters, 0–1; null before any rating' }),
        units: z.int().meta({ description: 'The units they said they would pre-order: the first demand estimate' }),
      })
      .meta({ description: 'Stated intent' }),
    comments: z
      .array(z.object({ comment: z.string(), at: z.iso.datetime() }))
      .meta({ description: "The ratings' comments, newest first (who wrote them is not shown)" }),
    gate: z.object({
      minIndex: z.number(),
      minRatings: z.int(),
      passes: z.boolean().meta({ description: 'The index and the number of ratings both reach the gate' }),
    }),
    rejectionReason: z.string().nullable(),
    launch: z
      .object({
        campaignId: z.uuid(),
        by: z.uuid().meta({ description: 'The operator who launched it' }),
        at: z.iso.datetime(),
        overrideReason: z.string().nullable().meta({ description: 'Why it was launched below the gate; null when it passed' }),
      })
      .nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Concept' });

export const TrialDocument = z
  .object({
    ...conceptProduct,
    factoryName: z.string(),
    application: z
      .object({ id: z.uuid(), status: z.enum(APPLICATION_STATUSES) })
      .nullable()
      .meta({ description: "The caller's application, or null" }),
    rating: z
      .object({
        performance: z.int(),
        priceAcceptance: z.int(),
        design: z.int(),
        packaging: z.int(),
        comment: z.string(),
        wouldPreorder: z.boolean(),
        preorderUnits: z.int(),
        updatedAt: z.iso.datetime(),
      })
      .nullable()
      .meta({ description: "The caller's rating, or null" }),
  })
  .meta({ id: 'ConceptTrial' });

export const TrialListDocument = z.object({
  shopOwner: z.boolean().meta({ description: 'Whether the caller is a shop owner: only shop owners apply and rate' }),
  items: z.array(TrialDocument).meta({ description: 'Trials open for applications, then those the caller applied to' }),
});

export const TrialApplicationDocument = z
  .object({
    id: z.uuid(),
    conceptId: z.uuid(),
    shopId: z.uuid(),
    shopName: z.string(),
    shopCode: z.string(),
    status: z.enum(APPLICATION_STATUSES),
    appliedAt: z.iso.datetime(),
    pickedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ConceptTrialApplication' });

export const LaunchDocument = z.object({ concept: ConceptDocument, campaign: CampaignDocument });

const product = (c: ConceptRow, phase: ConceptPhase) => ({
  id: c.id,
  title: c.title,
  description: c.description,
  photoUrls: c.photoUrls,
  options: c.options,
  targetPrice: formatMoney(c.targetPrice),
  minimumRun: c.minimumRun,
  trialPlaces: c.trialPlaces,
  trialOpensAt: c.trialOpensAt.toISOString(),
  trialClosesAt: c.trialClosesAt.toISOString(),
  phase,
});

export function toConceptDto(v: ConceptView): z.output<typeof ConceptDocument> {
  const c = v.concept;
  return {
    ...product(c, v.phase),
    factoryId: c.factoryId,
    proposedBy: c.proposedBy,
    status: c.status,
    applications: v.applications,
    index: v.index,
    dimensions: v.dimensions,
    intent: { ...v.intent, price: formatMoney(c.targetPrice) },
    comments: v.comments.map((r) => ({ comment: r.comment, at: r.updatedAt.toISOString() })),
    gate: v.gate,
    rejectionReason: c.rejectionReason,
    launch:
      c.campaignId && c.launchedBy && c.launchedAt
        ? { campaignId: c.campaignId, by: c.launchedBy, at: c.launchedAt.toISOString(), overrideReason: c.overrideReason }
        : null,
    createdAt: c.createdAt.toISOString(),
  };
}

const toRatingDto = (r: RatingRow) => ({
  performance: r.performance,
  priceAcceptance: r.priceAcceptance,
  design: r.design,
  packaging: r.packaging,
  comment: r.comment,
  wouldPreorder: r.wouldPreorder,
  preorderUnits: r.preorderUnits,
  updatedAt: r.updatedAt.toISOString(),
});

export function toTrialDto(t: Trial): z.output<typeof TrialDocument> {
  return {
    ...product(t.concept, t.phase),
    factoryName: t.factoryName,
    application: t.application ? { id: t.application.id, status: t.application.status } : null,
    rating: t.rating ? toRatingDto(t.rating) : null,
  };
}

export function toTrialApplicationDto(a: TrialApplication): z.output<typeof TrialApplicationDocument> {
  const row: TrialApplicationRow = a.application;
  return {
    id: row.id,
    conceptId: row.conceptId,
    shopId: row.shopId,
    shopName: a.shopName,
    shopCode: a.shopCode,
    status: row.status,
    appliedAt: row.appliedAt.toISOString(),
    pickedAt: row.pickedAt?.toISOString() ?? null,
  };
}
