import { z } from 'zod';
import { listOf, page, pageOf, pageQuery } from '../platform/http/paginate';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { BoxCharges } from './box-charges';
import type { Fulfilment } from './fulfilment';
import type { SubscriptionCatalogue } from './subscription-catalogue';
import type { SubscriptionLifecycle } from './subscription-lifecycle';
import type { SubscriptionSchedule } from './subscription-schedule';
import {
  BoxPage,
  FruitDocument,
  PickingList,
  PlanDocument,
  ScheduleDocument,
  SubscriptionDocument,
  BoxListQuery,
  CreateSubscriptionBody,
  FruitParams,
  PauseBody,
  PickingListQuery,
  ScheduleQuery,
  ShipBody,
  SkipBody,
  SubscriptionParams,
  UpdateFruitBody,
  UpdateSubscriptionBody,
  toBoxDto,
  toDeliveryDto,
  toFruitDto,
  toPlanDto,
  toSubscriptionDto,
} from './subscription.schemas';

/** The subscription use cases the routes call. */
export interface SubscriptionUseCases {
  catalogue: SubscriptionCatalogue;
  lifecycle: SubscriptionLifecycle;
  schedule: SubscriptionSchedule;
  fulfilment: Fulfilment;
}

export function subscriptionRoutes({ catalogue, lifecycle, schedule, fulfilment }: SubscriptionUseCases, boxCharges: BoxCharges): RouteDef[] {
  return [
    publicRoute({
      method: 'get',
      path: '/v1/fruits',
      summary: 'The fruit catalogue with ripening days, seasons by month and origin, ethylene behaviour and cost',
      response: listOf(FruitDocument),
      doc: { answer: 'The catalogue' },
      handle: async () => ({ items: (await catalogue.fruits()).map(toFruitDto) }),
    }),
    route({
      method: 'patch',
      path: '/v1/fruits/:id',
      summary: 'Change a fruit of the catalogue (operators); boxes not yet locked follow at the next planning run',
      access: ['operator'],
      params: FruitParams,
      body: UpdateFruitBody,
      response: FruitDocument,
      doc: { answer: 'The fruit' },
      handle: async ({ params, body }) => toFruitDto(await catalogue.updateFruit(params.id, body)),
    }),
    publicRoute({
      method: 'get',
      path: '/v1/subscription-plans',
      summary: 'Fruit-box plans (weekly or fortnightly, small or family) with portions per person per day and price per box',
      response: listOf(PlanDocument),
      doc: { answer: 'The plans' },
      handle: async () => ({ items: (await catalogue.plans()).map(toPlanDto) }),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions',
      summary: 'Subscribe to fruit boxes; the boxes of the next four weeks are planned at once',
      access: ['consumer'],
      status: 201,
      idempotent: true,
      body: CreateSubscriptionBody,
      response: SubscriptionDocument,
      doc: {
        description:
          'startDate is today or later and at most 365 days ahead; deliveryWeekday 1 = Monday … 7 = Sunday; region is one we deliver to, e.g. shanghai, beijing, guangzhou, chengdu (its transit days set the ship date).',
        answer: 'The subscription (a retry with the same Idempotency-Key gets the same one)',
        problems: { 422: '`subscription_unfillable`: no box could ever hold fruit (every fruit excluded, or what is left fits no box in any month)' },
      },
      handle: async ({ principal, body, idempotencyId }) => toSubscriptionDto(await lifecycle.create(principal, body, idempotencyId)),
      recognise: async ({ principal, body, idempotencyId }) => {
        const earlier = await lifecycle.subscribedBefore(principal, body, idempotencyId);
        return earlier && toSubscriptionDto(earlier);
      },
    }),
    route({
      method: 'get',
      path: '/v1/me/subscriptions',
      summary: "The caller's subscriptions",
      access: ['consumer'],
      query: pageQuery,
      response: pageOf(SubscriptionDocument),
      doc: { answer: 'A page of subscriptions' },
      handle: async ({ principal, query }) => {
        const { items, total } = await schedule.listMine(principal.userId, query);
        return page(items.map(toSubscriptionDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/subscriptions/:id',
      summary: 'A subscription (its subscriber, or an operator)',
      access: ['consumer', 'operator'],
      params: SubscriptionParams,
      response: SubscriptionDocument,
      doc: { answer: 'The subscription' },
      handle: async ({ principal, params }) => toSubscriptionDto(await schedule.get(principal, params.id)),
    }),
    route({
      method: 'patch',
      path: '/v1/subscriptions/:id',
      summary:
        'Change plan, household size or exclusions, from the next delivery whose cutoff is ahead (boxes locked at their cutoff stay as charged; the others are planned again)',
      access: ['consumer'],
      params: SubscriptionParams,
      body: UpdateSubscriptionBody,
      response: SubscriptionDocument,
      doc: {
        description:
          "Its subscriber only (another consumer's subscription is a 404). Like skip, pause and cancel it moves no money and sets state, so sending it again is harmless: no Idempotency-Key. A plan with another period starts its rhythm at the next delivery whose cutoff is ahead (`firstDeliveryDate`). householdSize is at most the plan's maxHousehold; exclusions replace the exclusions.",
        answer: 'The subscription',
        problems: { 409: '`subscription_cancelled`', 422: '`subscription_unfillable`: no box could ever hold fruit' },
      },
      handle: async ({ principal, params, body }) => toSubscriptionDto(await lifecycle.update(principal, params.id, body)),
    }),
    route({
      method: 'get',
      path: '/v1/subscriptions/:id/schedule',
      summary:
        'The coming deliveries exactly as they will ship and be charged, each with ship date, cutoff, status, contents, price and the day-by-day ready-to-eat table',
      access: ['consumer', 'operator'],
      params: SubscriptionParams,
      query: ScheduleQuery,
      response: ScheduleDocument,
      doc: { answer: 'The schedule' },
      handle: async ({ principal, params, query }) => {
        const { subscription, plan, deliveries } = await schedule.schedule(principal, params.id, query.weeks);
        return { subscription: toSubscriptionDto(subscription), plan: toPlanDto(plan), deliveries: deliveries.map(toDeliveryDto) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/skip',
      summary: 'Skip one delivery; before its cutoff only (after it, 409 past_cutoff)',
      access: ['consumer'],
      params: SubscriptionParams,
      body: SkipBody,
      response: SubscriptionDocument,
      doc: { answer: 'The subscription', problems: { 409: '`past_cutoff`, `subscription_cancelled`' } },
      handle: async ({ principal, params, body }) => toSubscriptionDto(await lifecycle.skip(principal, params.id, body.deliveryDate)),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/pause',
      summary:
        'Pause the deliveries before `until` (at most 365 days ahead), from the first still before its cutoff (or from `from`; a `from` past its cutoff is a 409; a pause with no delivery in it is a 400); it replaces an earlier pause, whose boxes outside it come back',
      access: ['consumer'],
      params: SubscriptionParams,
      body: PauseBody,
      response: SubscriptionDocument,
      doc: { answer: 'The subscription', problems: { 409: '`past_cutoff`, `subscription_cancelled`' } },
      handle: async ({ principal, params, body }) => toSubscriptionDto(await lifecycle.pause(principal, params.id, body)),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/resume',
      summary: 'Resume a paused subscription; its boxes are planned again',
      access: ['consumer'],
      params: SubscriptionParams,
      response: SubscriptionDocument,
      doc: { answer: 'The subscription', problems: { 409: '`subscription_cancelled`' } },
      handle: async ({ principal, params }) => toSubscriptionDto(await lifecycle.resume(principal, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/cancel',
      summary: 'Cancel a subscription; boxes past their cutoff are already locked and still come',
      access: ['consumer'],
      params: SubscriptionParams,
      response: SubscriptionDocument,
      doc: { answer: 'The subscription', problems: { 409: '`subscription_cancelled`' } },
      handle: async ({ principal, params }) => toSubscriptionDto(await lifecycle.cancel(principal, params.id)),
    }),
    route({
      method: 'get',
      path: '/v1/factory/picking-lists',
      summary: 'What the calling orchard picks for a ship date, per fruit, from the boxes locked at their cutoff',
      access: ['factory'],
      query: PickingListQuery,
      response: PickingList,
      doc: { answer: 'The picking list' },
      handle: async ({ principal, query }) => ({
        shipDate: query.shipDate,
        items: (await fulfilment.pickingList(principal.factoryId, query.shipDate)).map(({ fruit, units, boxes }) => ({
          fruitId: fruit.id,
          nameZh: fruit.nameZh,
          nameEn: fruit.nameEn,
          unit: fruit.unit,
          units,
          boxes,
        })),
      }),
    }),
    route({
      method: 'get',
      path: '/v1/boxes',
      summary: 'Fruit boxes by ship date and status (operators, for the packing house)',
      access: ['operator'],
      query: BoxListQuery,
      response: BoxPage,
      doc: { answer: 'A page of boxes' },
      handle: async ({ query }) => {
        const { items, total } = await fulfilment.boxes(query);
        return page(items.map(toBoxDto), total, query);
      },
    }),
    route({
      method: 'post',
      path: '/v1/boxes/ship',
      summary: 'Mark paid boxes as shipped (operators); boxes not paid, or already shipped, are left alone',
      access: ['operator'],
      body: ShipBody,
      response: z.object({ shipped: z.int() }),
      doc: { answer: 'How many boxes were marked' },
      handle: async ({ body }) => ({ shipped: await boxCharges.markShipped(body.boxIds) }),
    }),
  ];
}
