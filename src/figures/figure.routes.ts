import { route, type RouteDef } from '../platform/http/routes';
import type { BusinessFigures } from './figures';
import { ConsoleSummaryDocument, toSummaryDto } from './figure.schemas';

export function figureRoutes(figures: BusinessFigures): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/console/summary',
      summary:
        "The business figures for the operators' front page: deposits held, balances outstanding, refunds, job lag, failing webhooks, overdue batches, pledges per minute (operator)",
      access: ['operator'],
      response: ConsoleSummaryDocument,
      doc: {
        description:
          'The same figures as the gauges on /metrics (docs/operator-console.md § 概览), read from the database at most every few seconds, plus the pledges and units placed in each minute of the last hour.',
        answer: 'The figures',
      },
      handle: async () => toSummaryDto(await figures.now()),
    }),
  ];
}
