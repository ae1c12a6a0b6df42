import { page, pageQuery } from '../platform/http/paginate';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { BoxCharges } from './box-charges';
import type { Fulfilment } from './fulfilment';
import type { SubscriptionCatalogue } from './subscription-catalogue';
import type { SubscriptionLifecycle } from './subscription-lifecycle';
import type { SubscriptionSchedule } from './subscription-schedule';
import {
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
      summary: 'The fruit catalogue: ripening days, seasons, ethylene behaviour',
      handle: async () => ({ items: (await catalogue.fruits()).map(toFruitDto) }),
    }),
    route({
      method: 'patch',
      path: '/v1/fruits/:id',
      summary: 'Change a fruit of the catalogue (operators); boxes not yet locked follow at the next planning run',
      access: ['operator'],
      params: FruitParams,
      body: UpdateFruitBody,
      handle: async ({ params, body }) => toFruitDto(await catalogue.updateFruit(params.id, body)),
    }),
    publicRoute({
      method: 'get',
      path: '/v1/subscription-plans',
      summary: 'Fruit-box plans: period, size, portions, price',
      handle: async () => ({ items: (await catalogue.plans()).map(toPlanDto) }),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions',
      summary: 'Subscribe to fruit boxes',
      access: ['consumer'],
      status: 201,
      idempotent: true,
      body: CreateSubscriptionBody,
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
      handle: async ({ principal, params }) => toSubscriptionDto(await schedule.get(principal, params.id)),
    }),
    route({
      method: 'patch',
      path: '/v1/subscriptions/:id',
      summary: 'Change plan, household size or exclusions, from the next delivery whose cutoff is ahead',
      access: ['consumer'],
      params: SubscriptionParams,
      body: UpdateSubscriptionBody,
      handle: async ({ principal, params, body }) => toSubscriptionDto(await lifecycle.update(principal, params.id, body)),
    }),
    route({
      method: 'get',
      path: '/v1/subscriptions/:id/schedule',
      summary: 'The coming boxes: ship date, cutoff, contents and the ready-to-eat table of each day',
      access: ['consumer', 'operator'],
      params: SubscriptionParams,
      query: ScheduleQuery,
      handle: async ({ principal, params, query }) => {
        const { subscription, plan, deliveries } = await schedule.schedule(principal, params.id, query.weeks);
        return { subscription: toSubscriptionDto(subscription), plan: toPlanDto(plan), deliveries: deliveries.map(toDeliveryDto) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/skip',
      summary: 'Skip one delivery (before its cutoff)',
      access: ['consumer'],
      params: SubscriptionParams,
      body: SkipBody,
      handle: async ({ principal, params, body }) => toSubscriptionDto(await lifecycle.skip(principal, params.id, body.deliveryDate)),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/pause',
      summary: 'Pause deliveries until a date (boxes past their cutoff still come)',
      access: ['consumer'],
      params: SubscriptionParams,
      body: PauseBody,
      handle: async ({ principal, params, body }) => toSubscriptionDto(await lifecycle.pause(principal, params.id, body)),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/resume',
      summary: 'Resume a paused subscription',
      access: ['consumer'],
      params: SubscriptionParams,
      handle: async ({ principal, params }) => toSubscriptionDto(await lifecycle.resume(principal, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/subscriptions/:id/cancel',
      summary: 'Cancel a subscription (boxes past their cutoff still come)',
      access: ['consumer'],
      params: SubscriptionParams,
      handle: async ({ principal, params }) => toSubscriptionDto(await lifecycle.cancel(principal, params.id)),
    }),
    route({
      method: 'get',
      path: '/v1/factory/picking-lists',
      summary: 'What the calling orchard picks for a ship date: its fruit in the boxes locked at their cutoff',
      access: ['factory'],
      query: PickingListQuery,
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
      handle: async ({ query }) => {
        const { items, total } = await fulfilment.boxes(query);
        return page(items.map(toBoxDto), total, query);
      },
    }),
    route({
      method: 'post',
      path: '/v1/boxes/ship',
      summary: 'Mark paid boxes as shipped (operators); others are left alone',
      access: ['operator'],
      body: ShipBody,
      handle: async ({ body }) => ({ shipped: await boxCharges.markShipped(body.boxIds) }),
    }),
  ];
}
