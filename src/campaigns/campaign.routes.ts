import { page } from '../platform/http/paginate';
import { Cacheable, publicRoute, route, type RouteDef } from '../platform/http/routes';
import { notFound } from '../platform/http/app-error';
import { type CampaignReads, PUBLIC_CACHE_CONTROL, validated } from './campaign-reads';
import type { Clock } from '../platform/clock';
import type { CampaignDecisions } from './campaign-decisions';
import type { CampaignService } from './campaign.service';
import { campaignWarnings } from './campaign';
import { CampaignListQuery, CampaignParams, CreateCampaignBody, PledgeChoice, toCampaignDto, toQuoteDto } from './campaign.schemas';

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
      summary: 'Create a campaign with its product, options and price tiers (a draft)',
      access: ['operator'],
      status: 201,
      body: CreateCampaignBody,
      handle: async ({ body }) => {
        const campaign = await campaigns.create(body);
        return { ...toCampaignDto(campaign, undefined, clock.now()), warnings: campaignWarnings(campaign) };
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/campaigns',
      summary: 'Campaigns with their public progress',
      query: CampaignListQuery,
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
      summary: 'A campaign with its public progress',
      params: CampaignParams,
      handle: async ({ principal, params }) => {
        if (principal?.role !== 'operator') {
          const read = await reads.campaign(params.id);
          if (!read) throw notFound('The campaign');
          return new Cacheable(read.body, read.etag, PUBLIC_CACHE_CONTROL);
        }
        const read = validated(await dto(campaigns.get(principal, params.id)));
        return new Cacheable(read.body, read.etag, OPERATOR_CACHE_CONTROL);
      },
    }),
    publicRoute({
      method: 'post',
      path: '/v1/campaigns/:id/quote',
      summary: "A consumer's deal for a variant and quantity: deposit, credit, price and balance now, at the lowest tier and per tier (no writes)",
      params: CampaignParams,
      body: PledgeChoice,
      handle: async ({ principal, params, body }) => toQuoteDto(await campaigns.quote(principal, params.id, body)),
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/:id/publish',
      summary: 'Publish a draft: it opens at opensAt',
      access: ['operator'],
      params: CampaignParams,
      handle: async ({ principal, params }) => {
        const campaign = await campaigns.publish(params.id);
        return { ...(await dto(campaigns.get(principal, params.id))), warnings: campaignWarnings(campaign) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/:id/close',
      summary: 'End the pledge window now; the campaign is then decided',
      access: ['operator'],
      params: CampaignParams,
      handle: async ({ principal, params }) => {
        await campaigns.closeNow(params.id);
        return dto(campaigns.get(principal, params.id));
      },
    }),
    route({
      method: 'post',
      path: '/v1/campaigns/:id/cancel',
      summary: 'Cancel a campaign and refund everything paid into it',
      access: ['operator'],
      params: CampaignParams,
      idempotent: true,
      handle: async ({ principal, params }) => {
        await decisions.cancel(params.id);
        return dto(campaigns.get(principal, params.id));
      },
    }),
  ];
}
