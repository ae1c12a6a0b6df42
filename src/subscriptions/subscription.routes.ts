import { page, pageQuery } from '../platform/http/paginate';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { BoxCharges } from './box-charges';
import type { SubscriptionService } from './subscription.service';
import {
  BoxListQuery, CreateSubscriptionBody, FruitParams, PauseBody, PickingListQuery, ScheduleQuery, ShipBody, SkipBody, SubscriptionParams, UpdateFruitBody, UpdateSubscriptionBody,
  toBoxDto, toDeliveryDto, toFruitDto, toPlanDto, toSubscriptionDto,
} from './subscription.schemas';

export function subscriptionRoutes(subscriptions: SubscriptionService, boxCharges: BoxCharges): RouteDef[] {
  return [
    publicRoute({
      method: 'get', path: '/v1/fruits', summary: 'The fruit catalogue: ripening days, seasons, ethylene behaviour',
      handle: async () => ({ items: (await subscriptions.fruits()).map(toFruitDto) }),
    }),
    route({
      method: 'patch', path: '/v1/fruits/:id', summary: 'Change a fruit of the catalogue (operators); boxes not yet locked follow at the next planning run', access: ['operator'],
      params: FruitParams, body: UpdateFruitBody,
      handle: async ({ params, body }) => toFruitDto(await subscriptions.updateFruit(params.id, body)),
    }),
    publicRoute({
      method: 'get', path: '/v1/subscription-plans', summary: 'Fruit-box plans: period, size, portions, price',
      handle: async () => ({ items: (await subscriptions.plans()).map(toPlanDto) }),
    }),
    route({
      method: 'post', path: '/v1/subscriptions', summary: 'Subscribe to fruit boxes', access: ['consumer'], status: 201, idempotent: true, body: CreateSubscriptionBody,
      handle: async ({ principal, body, idempotencyId }) => toSubscriptionDto(await subscriptions.create(principal, body, idempotencyId)),
      recognise: async ({ principal, body, idempotencyId }) => {
        const earlier = await subscriptions.subscribedBefore(principal, body, idempotencyId);
        return earlier && toSubscriptionDto(earlier);
      },
    }),
    route({
      method: 'get', path: '/v1/me/subscriptions', summary: "The caller's subscriptions", access: ['consumer'], query: pageQuery,
      handle: async ({ principal, query }) => {
        const { items, total } = await subscriptions.listMine(principal.userId, query);
        return page(items.map(toSubscriptionDto), total, query);
      },
    }),
    route({
      method: 'get', path: '/v1/subscriptions/:id', summary: 'A subscription (its subscriber, or an operator)', access: ['consumer', 'operator'], params: SubscriptionParams,
      handle: async ({ principal, params }) => toSubscriptionDto(await subscriptions.get(principal, params.id)),
    }),
    route({
      method: 'patch', path: '/v1/subscriptions/:id', summary: 'Change plan, household size or exclusions, from the next delivery whose cutoff is ahead', access: ['consumer'],
      params: SubscriptionParams, body: UpdateSubscriptionBody,
      handle: async ({ principal, params, body }) => toSubscriptionDto(await subscriptions.update(principal, params.id, body)),
    }),
    route({
      method: 'get', path: '/v1/subscriptions/:id/schedule', summary: 'The coming boxes: ship date, cutoff, contents and the ready-to-eat table of each day', access: ['consumer', 'operator'],
      params: SubscriptionParams, query: ScheduleQuery,
      handle: async ({ principal, params, query }) => {
        const { subscription, plan, deliveries } = await subscriptions.schedule(principal, params.id, query.weeks);
        return { subscription: toSubscriptionDto(subscription), plan: toPlanDto(plan), deliveries: deliveries.map(toDeliveryDto) };
      },
    }),
    route({
      method: 'post', path: '/v1/subscriptions/:id/skip', summary: "Skip one delivery (before its cutoff)", access: ['consumer'], params: SubscriptionParams, body: SkipBody,
      handle: async ({ principal, params, body }) => toSubscriptionDto(await subscriptions.skip(principal, params.id, body.deliveryDate)),
    }),
    route({
      method: 'post', path: '/v1/subscriptions/:id/pause', summary: 'Pause deliveries until a date (boxes past their cutoff still come)', access: ['consumer'], params: SubscriptionParams, body: PauseBody,
      handle: async ({ principal, params, body }) => toSubscriptionDto(await subscriptions.pause(principal, params.id, body)),
    }),
    route({
      method: 'post', path: '/v1/subscriptions/:id/resume', summary: 'Resume a paused subscription', access: ['consumer'], params: SubscriptionParams,
      handle: async ({ principal, params }) => toSubscriptionDto(await subscriptions.resume(principal, params.id)),
    }),
    route({
      method: 'post', path: '/v1/subscriptions/:id/cancel', summary: 'Cancel a subscription (boxes past their cutoff still come)', access: ['consumer'], params: SubscriptionParams,
      handle: async ({ principal, params }) => toSubscriptionDto(await subscriptions.cancel(principal, params.id)),
    }),
    route({
      method: 'get', path: '/v1/factory/picking-lists', summary: "What the calling orchard picks for a ship date: its fruit in the boxes locked at their cutoff", access: ['factory'], query: PickingListQuery,
      handle: async ({ principal, query }) => ({
        shipDate: query.shipDate,
        items: (await subscriptions.pickingList(principal.factoryId, query.shipDate)).map(({ fruit, units, boxes }) => ({ fruitId: fruit.id, nameZh: fruit.nameZh, nameEn: fruit.nameEn, unit: fruit.unit, units, boxes })),
      }),
    }),
    route({
      method: 'get', path: '/v1/boxes', summary: 'Fruit boxes by ship date and status (operators, for the packing house)', access: ['operator'], query: BoxListQuery,
      handle: async ({ query }) => {
        const { items, total } = await subscriptions.boxes(query);
        return page(items.map(toBoxDto), total, query);
      },
    }),
    route({
      method: 'post', path: '/v1/boxes/ship', summary: 'Mark paid boxes as shipped (operators); others are left alone', access: ['operator'], body: ShipBody,
      handle: async ({ body }) => ({ shipped: await boxCharges.markShipped(body.boxIds) }),
    }),
  ];
}
