import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { page, pageOf } from '../platform/http/paginate';
import { subjectOf } from '../platform/http/principal';
import { type RateLimits, clientAddress } from '../platform/http/rate-limit';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { ShopBindings } from './shop-bindings';
import type { ShopDashboard } from './shop-dashboard';
import type { ShopOwners } from './shop-owners';
import type { ShopVisits } from './shop-visits';
import {
  ApplyBody,
  BindBody,
  RefuseBody,
  ShopApplicationDocument,
  ShopApplicationParams,
  ShopApplicationQuery,
  ShopBindingDocument,
  ShopCodeParams,
  ShopDashboardDocument,
  ShopPageDocument,
  UpdateShopBody,
  VisitBody,
  toShopApplicationDto,
  toShopBindingDto,
  toShopDashboardDto,
  toShopPageDto,
} from './shop.schemas';

/**
 * Share-link resolutions (docs/shop-owners.md § Rate limits), `lookupsPerMinute` each: one count per client
 * address for everything public that tells whether a code is a shop's (the shop page and its storefront
 * page, visits, a poster or QR code with `?s=`), one per account for bindings; so that codes cannot be walked
 * through. Made once in app.ts and handed to every route that resolves a code.
 */
export function shopLookupLimits(lookupsPerMinute: number, rateLimits: RateLimits): { byAddress: RequestHandler; byAccount: RequestHandler } {
  const lookups = (name: string, key: (req: Request) => string) =>
    rateLimits.limit({
      name,
      windowMs: 60_000,
      limit: lookupsPerMinute,
      key,
      code: 'too_many_shop_lookups',
      detail: `一分钟内查询店铺次数过多（最多 ${lookupsPerMinute} 次），请稍后再试。 Too many shop lookups in a minute (at most ${lookupsPerMinute}).`,
    });
  return { byAddress: lookups('shop-lookups-by-address', clientAddress), byAccount: lookups('shop-lookups-by-account', (req) => subjectOf(req.principal)) };
}

/**
 * `applicationsPerHour`: attempts an account may make in an hour, successful or not: a refused consumer may
 * try again, a script may not hammer the operators' queue. `lookups`: the share-link limits (shopLookupLimits).
 */
export function shopRoutes(
  shops: { owners: ShopOwners; bindings: ShopBindings; visits: ShopVisits; dashboard: ShopDashboard },
  {
    applicationsPerHour,
    lookups,
    rateLimits,
  }: { applicationsPerHour: number; lookups: { byAddress: RequestHandler; byAccount: RequestHandler }; rateLimits: RateLimits },
): RouteDef[] {
  const { owners, bindings } = shops;
  const applicationLimit = rateLimits.limit({
    name: 'shop-applications-by-account',
    windowMs: 60 * 60_000,
    limit: applicationsPerHour,
    key: (req) => subjectOf(req.principal),
    code: 'too_many_shop_applications',
    detail: `一小时内申请次数过多（最多 ${applicationsPerHour} 次），请稍后再试。 Too many shop applications from this account in an hour (at most ${applicationsPerHour}).`,
  });
  const addressLookups = lookups.byAddress;
  const accountLookups = lookups.byAccount;
  const tooMany = { 429: '`too_many_shop_lookups`: too many share-link lookups in a minute (SHOP_LOOKUPS_PER_MINUTE)' };
  return [
    route({
      method: 'post',
      path: '/v1/shop-applications',
      summary: 'Apply to be a shop owner (小B): free, no purchase needed; an operator approves or refuses (consumer)',
      access: ['consumer'],
      status: 201,
      body: ApplyBody,
      response: ShopApplicationDocument,
      before: [applicationLimit],
      doc: {
        answer: 'The application, pending',
        problems: {
          409: '`shop_application_open`: an application is pending, or the caller is a shop owner already',
          429: '`too_many_shop_applications`: too many applications from this account in an hour',
        },
      },
      handle: async ({ principal, body }) => toShopApplicationDto(await owners.apply(principal, body)),
    }),
    route({
      method: 'get',
      path: '/v1/me/shop',
      summary: "The caller's latest shop application, or their shop once approved (consumer)",
      access: ['consumer'],
      response: z.object({ application: ShopApplicationDocument.nullable() }),
      doc: { answer: 'The application or shop; null if the caller never applied' },
      handle: async ({ principal }) => {
        const mine = await owners.mine(principal);
        return { application: mine ? toShopApplicationDto(mine) : null };
      },
    }),
    route({
      method: 'put',
      path: '/v1/me/shop',
      summary: "Choose the shop page's greeting, campaigns and fruit-box plans (shop owner)",
      access: ['consumer'],
      body: UpdateShopBody,
      response: ShopPageDocument,
      doc: { answer: 'The shop page as the public sees it', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal, body }) => toShopPageDto(await owners.updateMine(principal, body)),
    }),
    route({
      method: 'get',
      path: '/v1/shop-applications',
      summary: 'Shop applications, oldest first, by status (operators)',
      access: ['operator'],
      query: ShopApplicationQuery,
      response: pageOf(ShopApplicationDocument),
      doc: { answer: 'A page of applications' },
      handle: async ({ query }) => {
        const { items, total } = await owners.list(query);
        return page(items.map(toShopApplicationDto), total, query);
      },
    }),
    route({
      method: 'post',
      path: '/v1/shop-applications/:id/approve',
      summary: 'Approve a pending application: the shop gets its code (operators)',
      access: ['operator'],
      params: ShopApplicationParams,
      response: ShopApplicationDocument,
      doc: { answer: 'The shop', problems: { 409: '`shop_application_decided`' } },
      handle: async ({ principal, params }) => toShopApplicationDto(await owners.approve(principal, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/shop-applications/:id/refuse',
      summary: 'Refuse a pending application with a reason the applicant sees (operators)',
      access: ['operator'],
      params: ShopApplicationParams,
      body: RefuseBody,
      response: ShopApplicationDocument,
      doc: { answer: 'The refused application', problems: { 409: '`shop_application_decided`' } },
      handle: async ({ principal, params, body }) => toShopApplicationDto(await owners.refuse(principal, params.id, body.reason)),
    }),
    publicRoute({
      method: 'get',
      path: '/v1/shops/:code',
      summary: "A shop's public page: its owner's name and greeting, chosen campaigns and plans",
      params: ShopCodeParams,
      response: ShopPageDocument,
      before: [addressLookups],
      doc: { answer: 'The shop page', problems: { 404: 'no approved shop has this code', ...tooMany } },
      handle: async ({ params }) => toShopPageDto(await owners.publicPage(params.code)),
    }),
    route({
      method: 'post',
      path: '/v1/me/shop-binding',
      summary: 'Bind the caller to the shop owner whose link (?s=<code>) brought them; the first binding wins while it lasts (consumer)',
      access: ['consumer'],
      body: BindBody,
      response: ShopBindingDocument,
      doc: {
        description:
          'Sent by the storefront once signed in (or at sign-up) when the page was opened through a share link. A binding in force is kept: the answer is the binding in force, whichever shop it is.',
        answer: 'The binding in force',
        problems: { 404: 'no shop has this code', 409: '`shop_owner_not_bindable`: the caller is a shop owner', ...tooMany },
      },
      before: [accountLookups],
      handle: async ({ principal, body }) => toShopBindingDto(await bindings.bind(principal, body.code)),
    }),
    route({
      method: 'get',
      path: '/v1/me/shop-binding',
      summary: 'The shop owner the caller is bound to, if any (consumer)',
      access: ['consumer'],
      response: z.object({ binding: ShopBindingDocument.nullable() }),
      doc: { answer: 'The binding in force, or null' },
      handle: async ({ principal }) => {
        const binding = await bindings.mine(principal);
        return { binding: binding ? toShopBindingDto(binding) : null };
      },
    }),
    publicRoute({
      method: 'post',
      path: '/v1/shop-visits',
      summary: "Count a visit through a shop owner's share link (a storefront page opened with ?s=<code>)",
      status: 204,
      body: VisitBody,
      response: null,
      before: [addressLookups],
      doc: {
        description:
          'Sent by the storefront when a page opens with `?s=`: the shop page (no campaignId) or a campaign page. A visitor (the anonymous `visitorId` their browser keeps) counts at most once per shop, campaign and China day; a repeat is answered the same and counts nothing. Visits are shown to the shop owner (GET /v1/me/shop/dashboard) and earn nothing.',
        answer: 'Counted (or already counted today)',
        problems: { 404: 'no approved shop has this code, or no published campaign this id', ...tooMany },
      },
      handle: async ({ body }) => {
        await shops.visits.record(body);
      },
    }),
    route({
      method: 'get',
      path: '/v1/me/shop/dashboard',
      summary: "The shop owner's own figures: visits, pledges and units through their links, per campaign (shop owner)",
      access: ['consumer'],
      response: ShopDashboardDocument,
      doc: { answer: 'The dashboard', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal }) => toShopDashboardDto(await shops.dashboard.of(principal)),
    }),
  ];
}
