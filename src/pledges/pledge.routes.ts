import { CampaignParams } from '../campaigns';
import type { Request } from 'express';
import type { Config } from '../platform/config';
import { page, pageOf, pageQuery } from '../platform/http/paginate';
import { subjectOf } from '../platform/http/principal';
import { type RateLimits, clientAddress } from '../platform/http/rate-limit';
import { route, type RouteDef } from '../platform/http/routes';
import { type PaymentDto, type PaymentRow } from '../payments';
import type { PledgeRow } from './pledge.entity';
import type { AfterSaleRefunds } from './after-sale';
import type { PledgeCancellation } from './pledge-cancellation';
import type { PledgePayments } from './pledge-payments';
import type { PledgePlacement } from './pledge-placement';
import type { PledgeReads } from './pledge-reads';
import { AfterSaleRefundBody, CreatePledgeBody, PlacedPledge, PledgeDocument, PledgeParams, PledgeWithBalancePayment, toPledgeDto } from './pledge.schemas';

/** The pledge use cases the routes call. */
export interface PledgeUseCases {
  placement: PledgePlacement;
  reads: PledgeReads;
  cancellation: PledgeCancellation;
  payments: PledgePayments;
  afterSale: AfterSaleRefunds;
}

export function pledgeRoutes(
  { placement, reads, cancellation, payments: pledgePayments, afterSale }: PledgeUseCases,
  limits: Config['pledgeRateLimit'],
  rateLimits: RateLimits,
  paymentDto: (payment: PaymentRow) => PaymentDto,
): RouteDef[] {
  const pledgeDto = (pledge: PledgeRow, payments: readonly PaymentRow[]) => toPledgeDto(pledge, payments, paymentDto);
  // Every new attempt counts, successful or not: a script hammering a hot launch is slowed either way.
  // A replay of a stored answer is not an attempt: the route runs these only after the key is looked up.
  const perMinute = (limit: number, key: (req: Request) => string, who: string) =>
    rateLimits.limit({
      name: `pledges-by-${who}`,
      windowMs: 60_000,
      limit,
      key,
      code: 'too_many_pledges',
      detail: `Too many pledges from this ${who} in a minute (at most ${limit}). Wait a minute and try again.`,
    });
  const pledgeLimiters = [perMinute(limits.perAddress, clientAddress, 'address'), perMinute(limits.perAccount, (req) => subjectOf(req.principal), 'account')];
  const placedDto = ({ pledge, payment, payments }: { pledge: PledgeRow; payment: PaymentRow; payments: readonly PaymentRow[] }) => ({
    ...pledgeDto(pledge, payments),
    depositPayment: paymentDto(payment),
  });
  return [
    route({
      method: 'post',
      path: '/v1/campaigns/:id/pledges',
      summary: 'Pledge: reserve units of one variant and get the deposit payment (consumer)',
      access: ['consumer'],
      status: 201,
      idempotent: true,
      params: CampaignParams,
      body: CreatePledgeBody,
      response: PlacedPledge,
      doc: {
        answer: 'The pledge, awaiting its deposit',
        problems: {
          400: '`validation_failed`, `invalid_variant`',
          409: '`campaign_sold_out`, `campaign_not_open`, `per_consumer_limit`',
          429: '`too_many_pledges`: too many pledge attempts from this account or address in a minute',
        },
      },
      before: pledgeLimiters,
      handle: async ({ principal, params, body, idempotencyId }) => placedDto(await placement.create(principal, params.id, body, idempotencyId)),
      recognise: async ({ principal, params, body, idempotencyId }) => {
        const placed = await placement.placedBefore(principal, params.id, body, idempotencyId);
        return placed && placedDto(placed);
      },
    }),
    route({
      method: 'get',
      path: '/v1/me/pledges',
      summary: "The caller's pledges, newest first (consumer)",
      access: ['consumer'],
      query: pageQuery,
      response: pageOf(PledgeDocument),
      doc: { answer: 'A page of pledges' },
      handle: async ({ principal, query }) => {
        const { items, total } = await reads.listMine(principal.userId, query);
        return page(
          items.map(({ pledge, payments }) => pledgeDto(pledge, payments)),
          total,
          query,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/pledges/:id',
      summary: 'A pledge with its payments (its consumer, or an operator)',
      access: ['consumer', 'operator'],
      params: PledgeParams,
      response: PledgeDocument,
      doc: { answer: 'The pledge' },
      handle: async ({ principal, params }) => {
        const { pledge, payments } = await reads.get(principal, params.id);
        return pledgeDto(pledge, payments);
      },
    }),
    route({
      method: 'post',
      path: '/v1/pledges/:id/cancel',
      summary: 'Cancel a pledge while its campaign is open; a paid deposit is refunded in full (consumer)',
      access: ['consumer'],
      idempotent: true,
      params: PledgeParams,
      response: PledgeDocument,
      doc: { answer: 'Cancelled', problems: { 409: '`pledge_not_cancellable`' } },
      handle: async ({ principal, params }) => {
        await cancellation.cancel(principal, params.id);
        const { pledge, payments } = await reads.get(principal, params.id);
        return pledgeDto(pledge, payments);
      },
    }),
    route({
      method: 'post',
      path: '/v1/pledges/:id/balance-payment',
      summary: 'The balance payment of a pledge whose campaign succeeded; asking again returns the same pending payment (consumer)',
      access: ['consumer'],
      status: 201,
      idempotent: true,
      params: PledgeParams,
      response: PledgeWithBalancePayment,
      doc: { answer: 'The balance payment', problems: { 409: '`pledge_not_awaiting_balance`, `balance_overdue`' } },
      handle: async ({ principal, params }) => {
        const { pledge, payment, payments } = await pledgePayments.balancePayment(principal, params.id);
        return { ...pledgeDto(pledge, payments), balancePayment: paymentDto(payment) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/pledges/:id/after-sale-refund',
      summary:
        "售后退款: refund a completed purchase in full; its factory share and fee are reversed and a shop owner's commission on it clawed back (operators)",
      access: ['operator'],
      idempotent: true,
      params: PledgeParams,
      body: AfterSaleRefundBody,
      response: PledgeDocument,
      doc: {
        description:
          "Deposit and balance go back to the consumer through the refund job (reason `after_sale`); the consumer is told, with the reason. The factory's share comes off its payable (a later statement of the campaign shows it).",
        answer: 'The pledge, refunded, with its payments',
        problems: { 404: 'no such pledge', 409: '`pledge_not_completed`: only a paid (completed) pledge' },
      },
      handle: async ({ principal, params, body }) => {
        await afterSale.refund(params.id, body.reason);
        const { pledge, payments } = await reads.get(principal, params.id);
        return pledgeDto(pledge, payments);
      },
    }),
  ];
}
