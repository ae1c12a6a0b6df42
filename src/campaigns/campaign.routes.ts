import { page, pageOf } from '../platform/http/paginate';
import { Cacheable, publicRoute, route, type RouteDef } from '../platform/http/routes';
import { notFound } from '../platform/http/app-error';
import { type CampaignReads, PUBLIC_CACHE_CONTROL, validated } from './campaign-reads';
import type { Clock } from '../platform/clock';
import type { CampaignDecisions } from './campaign-decisions';
import type { CampaignService } from './campaign.service';
import { campaignWarnings } from './campaign-warnings';
import {
  CampaignDocument,
  CampaignListQuery,
  CampaignParams,
  CampaignPreviewDocument,
  CampaignWithWarnings,
  CancelCampaignBody,
  CreateCampaignBody,
  OperatorCampaignDocument,
  UpdateCampaignBody,
  PledgeChoice,
  QuoteDocument,
  toCampaignDto,
  toPreviewDto,
  toQuoteDto,
} from './campaign.schemas';

/** What an operator reads (drafts included, never from the public cache) carries a validator too, but no shared cache may keep it. */
const OPERATOR_CACHE_CONTROL = 'private, no-cache';

export function campaignRoutes(campaigns: CampaignService, reads: CampaignReads, decisions: CampaignDecisions, clock: Clock): RouteDef[] {
  const dto = async (p: ReturnType<CampaignService['get']>) => {
    const { campaign, progress } = await p;
    return toCampaignDto(campaign, progress, clock.now());
  };
  return [
    route({
      method: 'post',
      path: '/v1/campaigns',
      summary: 'Create a campaign (a draft) with its product, option dimensions and price tiers (operator)',
      access: ['operator'],
      status: 201,
      body: CreateCampaignBody,
      response: CampaignWithWarnings,
      doc: { answer: 'The draft, with warnings about terms that are legal but worth a second look', problems: { 404: '`not_found`: no such factory' } },
      handle: async ({ body }) => {
        const campaign = await campaigns.create(body);
        return { ...toCampaignDto(campaign, undefined, clock.now()), warnings: campaignWarnings(campaign, clock.now()) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/preview',
      summary:
        "A create body as consumers would see the campaign: option labels, each tier's price, deposit credit and balance, and the warnings; saves nothing (operator)",
      access: ['operator'],
      body: CreateCampaignBody,
      response: CampaignPreviewDocument,
      doc: {
        description:
          "Refused exactly as POST /v1/campaigns would refuse the same body (400 with each bad field and its reason, 404 for an unknown factory), so an editor can show the consumer's view and the errors as the operator types. Every amount is per unit.",
        answer: 'The preview',
        problems: { 404: '`not_found`: no such factory' },
      },
      handle: async ({ body }) => {
        const draft = await campaigns.preview(body);
        return toPreviewDto(draft, campaignWarnings(draft, clock.now()));
      },
    }),
    route({
      method: 'patch',
      path: '/v1/campaigns/:id',
      summary: "Edit a draft: any of the create body's fields, checked by the same rules (operator)",
      access: ['operator'],
      params: CampaignParams,
      body: UpdateCampaignBody,
      response: CampaignWithWarnings,
      doc: {
        description:
          "The fields given replace the draft's; `null` clears an optional one (imageUrl, maxUnits, perConsumerLimit, variantMinUnits). The draft as edited must pass the rules of POST /v1/campaigns: a 400 names the bad fields (a rule between fields may name one the edit did not touch). Only a draft can be edited.",
        answer: 'The edited draft, with its warnings',
        problems: { 404: '`not_found`: no such campaign or factory', 409: '`campaign_not_draft`: it is published (or cancelled)' },
      },
      handle: async ({ params, body }) => {
        const campaign = await campaigns.update(params.id, body);
        return { ...toCampaignDto(campaign, undefined, clock.now()), warnings: campaignWarnings(campaign, clock.now()) };
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/campaigns',
      summary: 'Campaigns with their public progress (drafts only for operators)',
      query: CampaignListQuery,
      response: pageOf(CampaignDocument),
      doc: {
        description:
          'Read through a cache of at most one second per page (operators read around it): see "Serving, share cards and caching" in docs/storefront.md. Answers carry a weak `ETag` and `Cache-Control: public, max-age=1` (`private, no-cache` for operators); `If-None-Match` with the ETag answers 304. `secondsLeft` is left out of the ETag: count down from `closesAt`.',
        answer: 'A page of campaigns',
        cacheable: true,
      },
      handle: async ({ principal, query }) => {
        if (principal?.role !== 'operator') {
          const read = await reads.list(query);
          return new Cacheable(read.body, read.etag, PUBLIC_CACHE_CONTROL);
        }
        const { items, total } = await campaigns.list(principal, query);
        const read = validated(
          page(
            items.map(({ campaign, progress }) => toCampaignDto(campaign, progress, clock.now())),
            total,
            query,
          ),
        );
        return new Cacheable(read.body, read.etag, OPERATOR_CACHE_CONTROL);
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/campaigns/:id',
      summary: "A campaign with its public progress (for operators also a draft's warnings and a cancel's reason)",
      params: CampaignParams,
      response: OperatorCampaignDocument,
      doc: {
        description:
          'Read through a cache of at most one second per campaign (operators read around it): a pledge shows in every answer that starts at least a second after it was made, and what one process answers never goes back. Weak `ETag` (without `secondsLeft`), `Cache-Control: public, max-age=1` (`private, no-cache` for operators), 304 on `If-None-Match`.',
        answer: 'The campaign',
        cacheable: true,
      },
      handle: async ({ principal, params }) => {
        if (principal?.role !== 'operator') {
          const read = await reads.campaign(params.id);
          if (!read) throw notFound('The campaign');
          return new Cacheable(read.body, read.etag, PUBLIC_CACHE_CONTROL);
        }
        const { campaign, progress } = await campaigns.get(principal, params.id);
        const read = validated({
          ...toCampaignDto(campaign, progress, clock.now()),
          ...(campaign.status === 'draft' && { warnings: campaignWarnings(campaign, clock.now()) }),
          cancelReason: campaign.cancelReason,
        });
        return new Cacheable(read.body, read.etag, OPERATOR_CACHE_CONTROL);
      },
    }),
    publicRoute({
      method: 'post',
      path: '/v1/campaigns/:id/quote',
      summary: "A consumer's deal for a variant and quantity: deposit, credit, price and balance now, at the lowest tier and per tier (anyone; writes nothing)",
      params: CampaignParams,
      body: PledgeChoice,
      response: QuoteDocument,
      doc: {
        description:
          'Every amount is for the whole quantity, computed by the functions that set the pledge\'s own deposit and, at the decision, its balance (docs/domain.md, Quotes). "Now" is the tier the paid units have reached, the first tier while the threshold is not reached, the final price once decided. Refused as a pledge of the same choice would be, with the same codes; also offered while the campaign is scheduled (upcoming). The variant names the option keys and value keys, never the display labels.',
        answer: 'The deal',
        problems: {
          400: '`validation_failed`, `invalid_variant`',
          404: "`not_found`: no such campaign, or a draft (operators may preview a draft's deal)",
          409: '`per_consumer_limit`, `campaign_not_open` (the window has closed), `campaign_sold_out`',
        },
      },
      handle: async ({ principal, params, body }) => toQuoteDto(await campaigns.quote(principal, params.id, body)),
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/:id/publish',
      summary: 'Publish a draft; it takes pledges from opensAt to closesAt (operator)',
      access: ['operator'],
      params: CampaignParams,
      response: CampaignWithWarnings,
      doc: { answer: 'Published, with the same warnings as at creation', problems: { 409: '`campaign_not_draft`, `campaign_window_passed`' } },
      handle: async ({ principal, params }) => {
        const campaign = await campaigns.publish(params.id);
        return { ...(await dto(campaigns.get(principal, params.id))), warnings: campaignWarnings(campaign, clock.now()) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/:id/close',
      summary: 'End the pledge window now; the campaign is decided once deposits in flight have settled (operator)',
      access: ['operator'],
      params: CampaignParams,
      response: CampaignDocument,
      doc: { answer: 'Closing', problems: { 409: '`campaign_not_open`' } },
      handle: async ({ principal, params }) => {
        await campaigns.closeNow(params.id);
        return dto(campaigns.get(principal, params.id));
      },
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/:id/cancel',
      summary: 'Cancel a campaign before completion; everything paid into it is refunded (operator)',
      access: ['operator'],
      params: CampaignParams,
      body: CancelCampaignBody,
      idempotent: true,
      response: OperatorCampaignDocument,
      doc: {
        description: 'The reason (4 to 500 characters) is kept on the campaign (`cancelReason`, shown to operators) and in the audit log.',
        answer: 'Cancelled',
        problems: { 409: '`campaign_final`' },
      },
      handle: async ({ principal, params, body }) => {
        const cancelled = await decisions.cancel(params.id, body.reason);
        return { ...(await dto(campaigns.get(principal, params.id))), cancelReason: cancelled.cancelReason };
      },
    }),
  ];
}
