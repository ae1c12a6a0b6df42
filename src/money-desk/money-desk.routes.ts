import { route, type RouteDef } from '../platform/http/routes';
import type { LedgerBoard } from './ledger-board';
import { LedgerBoardDocument, RecordDocument, RecordParams, SearchDocument, SearchQuery } from './money-desk.schemas';
import type { MoneyRecords } from './money-records';
import type { MoneySearch } from './money-search';

/** The operators' money desk: find a record, read it whole, and the ledger board. Reads only (a refund is sent again at POST /v1/refunds/:id/retry). */
export function moneyDeskRoutes(search: MoneySearch, records: MoneyRecords, board: LedgerBoard): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/console/search',
      summary: "Find pledges, payments, refunds, subscriptions and fruit boxes by id, a consumer's phone or email, or a campaign's id or title (operator)",
      access: ['operator'],
      query: SearchQuery,
      response: SearchDocument,
      doc: {
        description:
          "An id finds the record with that id (a campaign's id finds the campaign's pledges, payments and refunds); a phone number (typed any way: 138 1234 5678, +86…) or an email finds that consumer's records; other text finds the records of the campaigns whose title contains it, and a payment by the provider's transaction id. Each kind shows its newest 20 and how many there are, each with the path of its record view (`link`). Contacts are masked.",
        answer: 'The records found, by kind, and what the query was read as',
      },
      handle: async ({ query }) => search.search(query.q),
    }),
    route({
      method: 'get',
      path: '/v1/console/money/:kind/:id',
      summary:
        'One pledge, payment, refund, subscription or fruit box as an operator reads it: state, amounts, timeline, related records, ledger entries (operator)',
      access: ['operator'],
      params: RecordParams,
      response: RecordDocument,
      doc: { answer: 'The record' },
      handle: async ({ principal, params }) => records.record(principal, params.kind, params.id),
    }),
    route({
      method: 'get',
      path: '/v1/console/ledger',
      summary: "The ledger board (operator): every reconcile check, every account's balance, and what is owed to factories and shop owners",
      access: ['operator'],
      response: LedgerBoardDocument,
      doc: {
        description:
          "Runs every check of `npm run cli -- reconcile` now, on one snapshot of the database: each as {check, ok, detail}. What is owed to factories comes from the payouts module (statements not yet paid, payouts on their way, paid out) beside the ledger's factory payable; what is owed to shop owners is their commission as the shop statements count it (pending, settled, held, paid).",
        answer: 'The board',
      },
      handle: async () => board.board(),
    }),
  ];
}
