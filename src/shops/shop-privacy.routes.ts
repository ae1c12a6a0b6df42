import { listOf, page, pageOf } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { ShopConsents } from './shop-consents';
import type { ShopOrders } from './shop-orders';
import {
  ShopConsentBody,
  ShopConsentDocument,
  ShopConsentParams,
  ShopOrderDocument,
  ShopOrdersQuery,
  toShopConsentDto,
  toShopOrderDto,
} from './shop-privacy.schemas';

/** A shop owner's orders with their customers' phones masked unless consented, and the consumers' consents (docs/shop-owners.md § Privacy). */
export function shopPrivacyRoutes(orders: ShopOrders, consents: ShopConsents): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/me/shop/orders',
      summary: "The pledges or subscriptions attributed to the caller's shop, newest first, customers' phones masked unless consented (shop owner)",
      access: ['consumer'],
      query: ShopOrdersQuery,
      response: pageOf(ShopOrderDocument),
      doc: { answer: 'A page of orders', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal, query }) => {
        const { items, total } = await orders.list(principal, query.kind, query);
        return page(items.map(toShopOrderDto), total, query);
      },
    }),
    route({
      method: 'put',
      path: '/v1/me/shop-consents/:code',
      summary: "Consent (share: true) or withdraw consent (false) to show the caller's phone number to a shop owner; each change is recorded (consumer)",
      access: ['consumer'],
      params: ShopConsentParams,
      body: ShopConsentBody,
      response: ShopConsentDocument,
      doc: { answer: 'The consent in force, with its history', problems: { 404: 'no shop has this code' } },
      handle: async ({ principal, params, body }) => toShopConsentDto(await consents.set(principal, params.code, body.share)),
    }),
    route({
      method: 'get',
      path: '/v1/me/shop-consents',
      summary: "The caller's consents to shop owners, with every grant and withdrawal (consumer)",
      access: ['consumer'],
      response: listOf(ShopConsentDocument),
      doc: { answer: 'Every shop the caller ever consented to, the latest change first' },
      handle: async ({ principal }) => ({ items: (await consents.mine(principal)).map(toShopConsentDto) }),
    }),
  ];
}
