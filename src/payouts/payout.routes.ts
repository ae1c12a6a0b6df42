import { listOf, page, pageOf } from '../platform/http/paginate';
import { Download, route, type RouteDef } from '../platform/http/routes';
import type { Tx } from '../platform/database';
import {
  PayableDocument,
  PayeeDocument,
  PayoutBatchDocument,
  PayoutDocument,
  StatementDocument,
  StatementEntryDocument,
  ApproveBody,
  EntriesQuery,
  FailBody,
  IdParams,
  PayeeBody,
  PayoutQuery,
  StatementQuery,
  entriesCsv,
  statementsCsv,
  toBatchDto,
  toEntryDto,
  toPayableDto,
  toPayeeDto,
  toPayoutDto,
  toStatementDto,
  wantsCsv,
} from './payout.schemas';
import type { Payouts } from './payouts';
import type { Statements } from './statements';

const CSV = 'text/csv; charset=utf-8';

/** Settlement statements and payouts: factories read their own, operators everyone's, and pay them. */
/** What the routes need to know of factories (the factories module's, handed over by app.ts): whether one exists, and their names. */
export interface FactoryDirectory {
  exists(tx: Tx, factoryId: string): Promise<boolean>;
  names(factoryIds: readonly string[]): Promise<Map<string, string>>;
}

export function payoutRoutes(statements: Statements, payouts: Payouts, factories: FactoryDirectory): RouteDef[] {
  const withTitles = async (rows: Awaited<ReturnType<Statements['list']>>['items']) => {
    const titles = await statements.titles(rows.map((s) => s.campaignId));
    return rows.map((s) => toStatementDto(s, s.campaignId ? titles.get(s.campaignId)! : null));
  };
  return [
    route({
      method: 'get',
      path: '/v1/statements',
      summary:
        "Settlement statements, newest first: a factory's own, or (operators) every factory's or one's (?factoryId=); ?unpaid=true for those no payout pays yet; CSV with ?format=csv",
      access: ['operator', 'factory'],
      query: StatementQuery,
      response: pageOf(StatementDocument),
      doc: { answer: 'A page of statements (or all of the page as CSV)', files: { 'text/csv': 'The page of statements as CSV (UTF-8 with a BOM)' } },
      handle: async ({ principal, query, req }) => {
        const { items, total } = await statements.list(principal, query);
        const dtos = await withTitles(items);
        if (wantsCsv(query.format, (types) => req.accepts(types))) return new Download(CSV, 'statements.csv', statementsCsv(dtos));
        return page(dtos, total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/statements/:id',
      summary:
        "One settlement statement: its lines (balances received, deposits applied and forfeited, platform fee, refunds, adjustments) and net payable; another factory's is a 404",
      access: ['operator', 'factory'],
      params: IdParams,
      response: StatementDocument,
      doc: { answer: 'The statement' },
      handle: async ({ principal, params }) => (await withTitles([await statements.get(principal, params.id)]))[0],
    }),
    route({
      method: 'get',
      path: '/v1/statements/:id/entries',
      summary: 'The journal entries a statement counts, each with what it adds to each line (a page), or all of them as CSV (?format=csv)',
      access: ['operator', 'factory'],
      params: IdParams,
      query: EntriesQuery,
      response: pageOf(StatementEntryDocument),
      doc: {
        answer: "A page of entries (total = the statement's entryCount), or every entry as CSV",
        files: { 'text/csv': 'Every entry of the statement as CSV (UTF-8 with a BOM)' },
      },
      handle: async ({ principal, params, query, req }) => {
        if (wantsCsv(query.format, (types) => req.accepts(types))) {
          const { statement, items } = await statements.entries(principal, params.id);
          return new Download(CSV, `statement-${statement.id}-entries.csv`, entriesCsv(items.map(toEntryDto)));
        }
        const { statement, items } = await statements.entries(principal, params.id, query);
        return page(items.map(toEntryDto), statement.entryCount, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/payables',
      summary: 'What is owed to whom (operator): per factory, statements no payout pays yet, payouts on their way, and paid out',
      access: ['operator'],
      response: listOf(PayableDocument),
      doc: { answer: 'Every factory with a statement or a payout' },
      handle: async () => {
        const payables = await payouts.payables();
        const names = await factories.names(payables.map((p) => p.factoryId));
        return { items: payables.map((p) => toPayableDto(p, names.get(p.factoryId) ?? '')) };
      },
    }),
    route({
      method: 'post',
      path: '/v1/payout-batches',
      summary: 'A payout batch of what is owed: one payout per factory whose unpaid statements add up to more than zero; it awaits approval',
      access: ['operator'],
      status: 201,
      idempotent: true,
      response: PayoutBatchDocument,
      doc: {
        answer: 'The batch with its payouts',
        problems: {
          409: '`nothing_to_pay` (no factory is owed anything not already in a payout), `statements_taken` (another batch took them meanwhile)',
        },
      },
      handle: async ({ principal, idempotencyId }) => {
        // Entries posted on final campaigns since their statements (an after-sale refund) are stated first, so the batch nets them.
        await statements.upToDate();
        return toBatchDto(await payouts.createBatch(principal.userId, idempotencyId!));
      },
    }),
    route({
      method: 'get',
      path: '/v1/payout-batches',
      summary: 'Payout batches, newest first (operator)',
      access: ['operator'],
      query: PayoutQuery.omit({ factoryId: true }),
      response: pageOf(PayoutBatchDocument),
      doc: { answer: 'A page of batches' },
      handle: async ({ query }) => {
        const { items, total } = await payouts.listBatches(query);
        return page(
          items.map((batch) => toBatchDto({ batch })),
          total,
          query,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/payout-batches/:id',
      summary: 'One payout batch with its payouts (operator)',
      access: ['operator'],
      params: IdParams,
      response: PayoutBatchDocument,
      doc: { answer: 'The batch' },
      handle: async ({ params }) => toBatchDto(await payouts.batch(params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/payout-batches/:id/approve',
      summary: 'Approve a batch: its payouts are sent by the sandbox or put in a bank file (bank_file). Approved once: another approval is a 409',
      access: ['operator'],
      idempotent: true,
      params: IdParams,
      body: ApproveBody,
      response: PayoutBatchDocument,
      doc: {
        answer: 'The approved batch',
        problems: { 409: '`batch_already_approved`', 422: '`payout_method_unavailable` (the sandbox, in production)' },
      },
      handle: async ({ principal, params, body }) => toBatchDto(await payouts.approve(principal.userId, params.id, body.method)),
    }),
    route({
      method: 'get',
      path: '/v1/payout-batches/:id/bank-file',
      summary: "The batch's batch-payment file (operator; CSV, UTF-8 with a BOM, CRLF): its bank-file payouts sent and awaiting the bank, one row each",
      access: ['operator'],
      params: IdParams,
      response: null,
      doc: { answer: 'The file', files: { 'text/csv': 'One row per bank-file payout of the batch' } },
      handle: async ({ params }) => new Download(CSV, `payout-batch-${params.id}.csv`, await payouts.bankFile(params.id)),
    }),
    route({
      method: 'get',
      path: '/v1/payouts',
      summary: "Payouts, newest first: a factory's own, or (operators) every factory's or one's (?factoryId=)",
      access: ['operator', 'factory'],
      query: PayoutQuery,
      response: pageOf(PayoutDocument),
      doc: { answer: 'A page of payouts' },
      handle: async ({ principal, query }) => {
        const { items, total } = await payouts.list(principal, query);
        return page(
          items.map((p) => toPayoutDto(p)),
          total,
          query,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/payouts/:id',
      summary: "One payout with the statements it pays; another factory's is a 404",
      access: ['operator', 'factory'],
      params: IdParams,
      response: PayoutDocument,
      doc: { answer: 'The payout' },
      handle: async ({ principal, params }) => {
        const { payout, statementIds } = await payouts.get(principal, params.id);
        return toPayoutDto(payout, statementIds);
      },
    }),
    route({
      method: 'post',
      path: '/v1/payouts/:id/confirm',
      summary: "A sent payout arrived (the bank's record shows it): the ledger moves it from the factory's payable to paid. Again: no change",
      access: ['operator'],
      idempotent: true,
      params: IdParams,
      response: PayoutDocument,
      doc: { answer: 'The confirmed payout', problems: { 409: '`payout_not_sent`' } },
      handle: async ({ params }) => toPayoutDto(await payouts.confirm(params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/payouts/:id/fail',
      summary: 'A sent payout did not arrive (the bank returned it or refused the file): it is failed, to be retried',
      access: ['operator'],
      params: IdParams,
      body: FailBody,
      response: PayoutDocument,
      doc: { answer: 'The failed payout', problems: { 409: '`payout_not_sent`' } },
      handle: async ({ params, body }) => toPayoutDto(await payouts.fail(params.id, body.reason)),
    }),
    route({
      method: 'post',
      path: '/v1/payouts/:id/retry',
      summary: 'Send a failed payout again',
      access: ['operator'],
      idempotent: true,
      params: IdParams,
      response: PayoutDocument,
      doc: { answer: 'The payout, to be sent again', problems: { 409: '`payout_not_failed`' } },
      handle: async ({ params }) => toPayoutDto(await payouts.retry(params.id)),
    }),
    route({
      method: 'put',
      path: '/v1/factories/:id/payee',
      summary: 'Where a factory is paid: its bank account (name, number, bank, CNAPS code)',
      access: ['operator'],
      params: IdParams,
      body: PayeeBody,
      response: PayeeDocument,
      doc: { answer: 'The payee' },
      handle: async ({ params, body }) => toPayeeDto(await payouts.setPayee(params.id, body, (tx) => factories.exists(tx, params.id))),
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/payee',
      summary: 'Where a factory is paid (operators, or the factory itself)',
      access: ['operator', 'factory'],
      params: IdParams,
      response: PayeeDocument,
      doc: { answer: 'The payee' },
      handle: async ({ principal, params }) => toPayeeDto(await payouts.payee(principal, params.id)),
    }),
  ];
}
