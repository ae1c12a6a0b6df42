import { toCampaignDto } from '../campaigns';
import type { Clock } from '../platform/clock';
import { listOf, page, pageOf } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { Concepts } from './concepts';
import {
  ConceptDocument,
  ConceptListQuery,
  ConceptParams,
  LaunchBody,
  LaunchDocument,
  OperatorConceptListQuery,
  OperatorProposeBody,
  PickBody,
  ProposeBody,
  RatingBody,
  RejectBody,
  TrialApplicationDocument,
  TrialDocument,
  TrialListDocument,
  toConceptDto,
  toTrialApplicationDto,
  toTrialDto,
} from './concept.schemas';

const notShopOwner = { 403: '`not_a_shop_owner`' };

/**
 * Proposing, listing and reading concepts, for factories (`/v1/factory/concepts`: their own; the factory is the
 * caller's) and operators (`/v1/concepts`: every factory's; they name the factory).
 */
function proposals(
  concepts: Concepts,
  r:
    | { who: 'factory'; base: string; body: typeof ProposeBody; query: typeof ConceptListQuery; whose: string }
    | { who: 'operator'; base: string; body: typeof OperatorProposeBody; query: typeof OperatorConceptListQuery; whose: string },
): RouteDef[] {
  const access: ('factory' | 'operator')[] = [r.who];
  return [
    route({
      method: 'post',
      path: r.base,
      summary: `Propose a product concept for a sample trial (a draft until an operator opens its trial) (${r.who})`,
      access,
      status: 201,
      body: r.body,
      response: ConceptDocument,
      doc: { answer: 'The concept, a draft', ...(r.who === 'operator' && { problems: { 404: '`not_found`: no such factory' } }) },
      handle: async ({ principal, body }) => toConceptDto(await concepts.propose(principal, body)),
    }),
    route({
      method: 'get',
      path: r.base,
      summary: `${r.whose} concepts, newest first, with their index and gate (${r.who})`,
      access,
      query: r.query,
      response: pageOf(ConceptDocument),
      doc: { answer: 'A page of concepts' },
      handle: async ({ principal, query }) => {
        const { items, total } = await concepts.list(principal, query);
        return page(items.map(toConceptDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: `${r.base}/:id`,
      summary: `A concept: the index with its band, the four dimensions, comments, stated intent, the gate, the launch (${r.who}${r.who === 'factory' ? ': its own' : ''})`,
      access,
      params: ConceptParams,
      response: ConceptDocument,
      doc: { answer: 'The concept' },
      handle: async ({ principal, params }) => toConceptDto(await concepts.get(principal, params.id)),
    }),
  ];
}

/** Product concepts, their trials, ratings and launch (docs/selection.md). Factories: their own; operators: all; shop owners: trials. */
export function conceptRoutes(concepts: Concepts, clock: Clock): RouteDef[] {
  return [
    // ---- factories: their own concepts ----
    ...proposals(concepts, {
      who: 'factory',
      base: '/v1/factory/concepts',
      body: ProposeBody,
      query: ConceptListQuery,
      whose: "The factory's",
    }),
    // ---- shop owners: trials (before /v1/concepts/:id, which would take "trials" for an id) ----
    route({
      method: 'get',
      path: '/v1/concepts/trials',
      summary: 'Sample trials open for applications, and those the caller applied to, with their application and rating (consumer)',
      access: ['consumer'],
      response: TrialListDocument,
      doc: { answer: 'The trials; any consumer may look, only shop owners apply and rate (`shopOwner`)' },
      handle: async ({ principal }) => {
        const { shopOwner, items } = await concepts.trials(principal);
        return { shopOwner, items: items.map(toTrialDto) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/concepts/:id/trial-applications',
      summary: 'Apply for a sample of a concept in trial; an operator picks who gets one (shop owner)',
      access: ['consumer'],
      status: 201,
      params: ConceptParams,
      response: TrialDocument,
      doc: {
        answer: 'The trial with the application',
        problems: { ...notShopOwner, 409: '`concept_trial_not_open`, `concept_trial_closed`; `concept_trial_applied`: applied already' },
      },
      handle: async ({ principal, params }) => toTrialDto(await concepts.apply(principal, params.id)),
    }),
    route({
      method: 'put',
      path: '/v1/concepts/:id/my-rating',
      summary: 'Rate a concept one tried: four dimensions 0–10, a comment, and whether one would pre-order at the target price (picked shop owner)',
      access: ['consumer'],
      params: ConceptParams,
      body: RatingBody,
      response: TrialDocument,
      doc: {
        description: 'One rating per shop owner and concept: the first makes it, later ones change it, until the trial closes.',
        answer: 'The trial with the rating',
        problems: { 403: '`not_a_shop_owner`; `not_picked_for_trial`: only picked shop owners rate', 409: '`concept_trial_closed`' },
      },
      handle: async ({ principal, params, body }) => toTrialDto(await concepts.rate(principal, params.id, body)),
    }),
    // ---- operators ----
    ...proposals(concepts, { who: 'operator', base: '/v1/concepts', body: OperatorProposeBody, query: OperatorConceptListQuery, whose: 'Every' }),
    route({
      method: 'post',
      path: '/v1/concepts/:id/open-trial',
      summary: "Open a draft concept's sample trial to shop owners (operator)",
      access: ['operator'],
      params: ConceptParams,
      response: ConceptDocument,
      doc: { answer: 'The concept, in trial', problems: { 409: '`concept_not_draft`, `concept_trial_window_passed`' } },
      handle: async ({ params }) => toConceptDto(await concepts.openTrial(params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/concepts/:id/reject',
      summary: 'Reject a concept in draft or trial, with a reason the factory sees (operator)',
      access: ['operator'],
      params: ConceptParams,
      body: RejectBody,
      response: ConceptDocument,
      doc: { answer: 'The concept, rejected', problems: { 409: '`concept_decided`' } },
      handle: async ({ params, body }) => toConceptDto(await concepts.reject(params.id, body.reason)),
    }),
    route({
      method: 'get',
      path: '/v1/concepts/:id/trial-applications',
      summary: "Shop owners' applications for the concept's samples, oldest first (operator)",
      access: ['operator'],
      params: ConceptParams,
      response: listOf(TrialApplicationDocument),
      doc: { answer: 'Every application' },
      handle: async ({ params }) => ({ items: (await concepts.applications(params.id)).map(toTrialApplicationDto) }),
    }),
    route({
      method: 'post',
      path: '/v1/concepts/:id/picks',
      summary: 'Pick applicants for a sample, up to the trial places; only picked shop owners may rate (operator)',
      access: ['operator'],
      params: ConceptParams,
      body: PickBody,
      response: listOf(TrialApplicationDocument),
      doc: {
        answer: 'Every application, the picked ones marked',
        problems: { 404: '`not_found`: no such concept or application of it', 409: '`trial_places_full`, `concept_trial_closed`, `concept_trial_not_open`' },
      },
      handle: async ({ principal, params, body }) => ({ items: (await concepts.pick(principal, params.id, body.applicationIds)).map(toTrialApplicationDto) }),
    }),
    route({
      method: 'post',
      path: '/v1/concepts/:id/launch',
      summary:
        'Turn a concept whose trial has closed into a campaign (a draft) carrying its data, if it passes the launch gate or with a written override (operator)',
      access: ['operator'],
      status: 201,
      params: ConceptParams,
      body: LaunchBody,
      response: LaunchDocument,
      doc: {
        description:
          "The campaign carries the concept's title (also its product name), description, first photo, options, target price (its one tier, and its reference price unless given) and minimum run (the tier's units: the threshold); the body gives the rest of the terms, checked as POST /v1/campaigns checks them. The gate: CONCEPT_LAUNCH_MIN_INDEX and CONCEPT_LAUNCH_MIN_RATINGS (docs/selection.md § The launch gate).",
        answer: 'The concept, launched, and its campaign',
        problems: {
          409: '`concept_below_launch_gate` (the index and ratings in the detail; give overrideReason to launch anyway), `concept_trial_not_closed`, `concept_launched`, `concept_not_in_trial`',
        },
      },
      handle: async ({ principal, params, body }) => {
        const { view, campaign } = await concepts.launch(principal, params.id, body);
        return { concept: toConceptDto(view), campaign: toCampaignDto(campaign, undefined, clock.now()) };
      },
    }),
  ];
}
