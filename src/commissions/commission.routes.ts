import { route, type RouteDef } from '../platform/http/routes';
import type { Commissions } from './commissions';
import type { RateSubject } from './commission.entity';
import { CampaignRateParams, CommissionRateDocument, MyCommissionDocument, PlanRateParams, SetRateBody, toRateDto, toStandingDto } from './commission.schemas';

export function commissionRoutes(commissions: Commissions): RouteDef[] {
  const rateRoutes = (subject: RateSubject, base: string, what: string, params: typeof CampaignRateParams | typeof PlanRateParams): RouteDef[] => [
    route({
      method: 'put',
      path: `${base}/:id/commission-rate`,
      summary: `Set the shop owners' commission rate on a ${what} (operators)`,
      access: ['operator'],
      params,
      body: SetRateBody,
      response: CommissionRateDocument,
      doc: {
        description:
          subject === 'campaign'
            ? 'Applies to purchases completed from now on; may change until the campaign is final (completed, failed or cancelled).'
            : 'Applies to boxes charged from now on.',
        answer: 'The rate in force',
        problems: {
          400: '`commission_rate_too_high`: the rate plus the highest level bonus exceeds the platform fee rate',
          404: `no such ${what}`,
          ...(subject === 'campaign' ? { 409: '`campaign_final`: the campaign is completed, failed or cancelled' } : ({} as Record<number, string>)),
        },
      },
      handle: async ({ principal, params: p, body }) => toRateDto(await commissions.setRate(principal, subject, p.id, body.rate)),
    }),
    route({
      method: 'get',
      path: `${base}/:id/commission-rate`,
      summary: `The shop owners' commission rate on a ${what} (operators)`,
      access: ['operator'],
      params,
      response: CommissionRateDocument,
      doc: { answer: 'The rate in force ("0" when none was set)', problems: { 404: `no such ${what}` } },
      handle: async ({ params: p }) => toRateDto(await commissions.rate(subject, p.id)),
    }),
  ];
  return [
    ...rateRoutes('campaign', '/v1/campaigns', 'campaign', CampaignRateParams),
    ...rateRoutes('plan', '/v1/subscription-plans', 'subscription plan', PlanRateParams),
    route({
      method: 'get',
      path: '/v1/me/shop/commission',
      summary: "The caller's level and the commission rates they earn, for the share kit (shop owner)",
      access: ['consumer'],
      response: MyCommissionDocument,
      doc: { answer: 'Level, what the next one needs, and every rate in force with the level bonus', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal }) => {
        const { standing, rates } = await commissions.mine(principal);
        return {
          standing: toStandingDto(standing),
          rates,
          selfPurchaseRebate:
            '自购省钱：店主自己的购买不计佣金，按基础佣金率返还，不计入等级。 A shop owner’s own purchase earns a rebate at the base rate, not commission, and does not count toward levels.',
        };
      },
    }),
  ];
}
