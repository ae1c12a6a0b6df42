import { AppError } from '../platform/http/app-error';
import { page, pageOf } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { Download, route, type RouteDef } from '../platform/http/routes';
import { IdParams, PayeeBody, wantsCsv } from './payout.schemas';
import type { Payouts } from './payouts';
import {
  CommissionHoldDocument,
  CommissionTotalsDocument,
  HoldQuery,
  MyShopStatementQuery,
  ReleaseBody,
  ShopPayeeDocument,
  ShopStatementDocument,
  ShopStatementLineDocument,
  ShopStatementLinesQuery,
  ShopStatementQuery,
  VoidBody,
  shopStatementLinesCsv,
  shopStatementsCsv,
  toHoldDto,
  toShopPayeeDto,
  toShopStatementDto,
  toShopStatementLineDto,
  toTotalsDto,
} from './shop-payout.schemas';
import type { ShopDirectory, ShopEarnings, ShopStatements } from './shop-statements';

const CSV = 'text/csv; charset=utf-8';

/**
 * Shop owners' commission (docs/shop-owners.md): a shop owner's own statements, totals and payee; operators'
 * statements of every shop owner and the holds of the concentration rule.
 */
export function shopPayoutRoutes(statements: ShopStatements, earnings: ShopEarnings, payouts: Payouts, shops: ShopDirectory): RouteDef[] {
  // A shop owner's views answer 403 not_a_shop_owner to any other consumer (like the dashboard); one statement's lines, a 404.
  const myShopOrNull = async (principal: Principal): Promise<string | null> =>
    (await shops.approvedShopOf(principal.role === 'consumer' ? principal.userId : ''))?.id ?? null;
  const myShop = async (principal: Principal): Promise<string> => {
    const shopId = await myShopOrNull(principal);
    if (!shopId) throw new AppError(403, 'not_a_shop_owner', '你还不是店主。 You are not a shop owner (apply: POST /v1/shop-applications).');
    return shopId;
  };
  const linesRoute = async (
    statementId: string,
    shopId: string | undefined,
    query: { format?: 'json' | 'csv'; limit: number; offset: number },
    accepts: (types: string[]) => string | false,
  ) => {
    if (wantsCsv(query.format, accepts)) {
      const { statement, items } = await statements.lines(statementId, shopId);
      return new Download(CSV, `shop-statement-${statement.id}-lines.csv`, shopStatementLinesCsv(items.map(toShopStatementLineDto)));
    }
    const { statement, items } = await statements.lines(statementId, shopId, query);
    return page(items.map(toShopStatementLineDto), statement.lineCount, query);
  };
  const statementsRoute = (
    { items, total }: Awaited<ReturnType<ShopStatements['list']>>,
    query: { format?: 'json' | 'csv'; limit: number; offset: number },
    accepts: (types: string[]) => string | false,
  ) => {
    const dtos = items.map(toShopStatementDto);
    if (wantsCsv(query.format, accepts)) return new Download(CSV, 'shop-statements.csv', shopStatementsCsv(dtos));
    return page(dtos, total, query);
  };
  const lineDoc = {
    answer: "A page of lines (total = the statement's lineCount), or every line as CSV",
    files: { 'text/csv': 'Every line of the statement as CSV (UTF-8 with a BOM)' },
  };
  return [
    route({
      method: 'put',
      path: '/v1/me/shop/payee',
      summary: 'Where the shop owner is paid their commission: their bank account (name, number, bank, CNAPS code); read back masked (shop owner)',
      access: ['consumer'],
      body: PayeeBody,
      response: ShopPayeeDocument,
      doc: { answer: 'The payee, its account number masked', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal, body }) => toShopPayeeDto(await payouts.setShopPayee(await myShop(principal), body)),
    }),
    route({
      method: 'get',
      path: '/v1/me/shop/payee',
      summary: 'Where the shop owner is paid, the account number masked (shop owner); null if not set',
      access: ['consumer'],
      response: ShopPayeeDocument.nullable(),
      doc: { answer: 'The payee, or null', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal }) => {
        const payee = await payouts.shopPayee(await myShop(principal));
        return payee ? toShopPayeeDto(payee) : null;
      },
    }),
    route({
      method: 'get',
      path: '/v1/me/shop/earnings',
      summary: "The shop owner's commission in money: pending (not yet final), settled (on a statement, not yet paid; held shown apart) and paid (shop owner)",
      access: ['consumer'],
      response: CommissionTotalsDocument,
      doc: { answer: 'The totals', problems: { 403: '`not_a_shop_owner`' } },
      handle: async ({ principal }) => toTotalsDto(await earnings.totalsOf(await myShop(principal))),
    }),
    route({
      method: 'get',
      path: '/v1/me/shop/statements',
      summary: "The shop owner's own monthly commission statements, newest first; CSV with ?format=csv (shop owner)",
      access: ['consumer'],
      query: MyShopStatementQuery,
      response: pageOf(ShopStatementDocument),
      doc: {
        answer: 'A page of statements',
        problems: { 403: '`not_a_shop_owner`' },
        files: { 'text/csv': 'The page of statements as CSV (UTF-8 with a BOM)' },
      },
      handle: async ({ principal, query, req }) =>
        statementsRoute(await statements.list({ ...query, shopId: await myShop(principal) }), query, (types) => req.accepts(types)),
    }),
    route({
      method: 'get',
      path: '/v1/me/shop/statements/:id/lines',
      summary: "The lines of one of the shop owner's own statements (a page), or all as CSV (?format=csv); another's is a 404 (shop owner)",
      access: ['consumer'],
      params: IdParams,
      query: ShopStatementLinesQuery,
      response: pageOf(ShopStatementLineDocument),
      doc: lineDoc,
      // Not a shop owner: no statement is theirs (a 404, as for another shop owner's).
      handle: async ({ principal, params, query, req }) => linesRoute(params.id, (await myShopOrNull(principal)) ?? '', query, (types) => req.accepts(types)),
    }),
    route({
      method: 'get',
      path: '/v1/shop-statements',
      summary: "Shop owners' commission statements, newest first: every one's or one shop's (?shopId=); CSV with ?format=csv (operators)",
      access: ['operator'],
      query: ShopStatementQuery,
      response: pageOf(ShopStatementDocument),
      doc: { answer: 'A page of statements', files: { 'text/csv': 'The page of statements as CSV (UTF-8 with a BOM)' } },
      handle: async ({ query, req }) => statementsRoute(await statements.list(query), query, (types) => req.accepts(types)),
    }),
    route({
      method: 'get',
      path: '/v1/shop-statements/:id/lines',
      summary: "The lines of a shop owner's statement (a page), or all as CSV (?format=csv) (operators)",
      access: ['operator'],
      params: IdParams,
      query: ShopStatementLinesQuery,
      response: pageOf(ShopStatementLineDocument),
      doc: lineDoc,
      handle: async ({ params, query, req }) => linesRoute(params.id, undefined, query, (types) => req.accepts(types)),
    }),
    route({
      method: 'get',
      path: '/v1/commission-holds',
      summary: 'Commission held by the concentration rule, newest first, by status (operators)',
      access: ['operator'],
      query: HoldQuery,
      response: pageOf(CommissionHoldDocument),
      doc: { answer: 'A page of holds' },
      handle: async ({ query }) => {
        const { items, total } = await statements.holds(query);
        return page(items.map(toHoldDto), total, query);
      },
    }),
    route({
      method: 'post',
      path: '/v1/commission-holds/:id/release',
      summary: 'Release held commission: its lines go into the next payout batch (operators)',
      access: ['operator'],
      params: IdParams,
      body: ReleaseBody,
      response: CommissionHoldDocument,
      doc: { answer: 'The released hold', problems: { 409: '`hold_decided`' } },
      handle: async ({ principal, params, body }) => toHoldDto(await statements.release(principal.userId, params.id, body.reason ?? null)),
    }),
    route({
      method: 'post',
      path: '/v1/commission-holds/:id/void',
      summary: "Void held commission with a reason: a commission_voided entry takes it back from the shop owner's payable; never paid (operators)",
      access: ['operator'],
      params: IdParams,
      body: VoidBody,
      response: CommissionHoldDocument,
      doc: { answer: 'The voided hold', problems: { 409: '`hold_decided`, `hold_nothing_to_void`' } },
      handle: async ({ principal, params, body }) => toHoldDto(await statements.void(principal.userId, params.id, body.reason)),
    }),
  ];
}
