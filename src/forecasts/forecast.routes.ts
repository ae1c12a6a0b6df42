import type { Clock } from '../platform/clock';
import { FactoryParams, WEBHOOK_UNUSABLE } from '../factories';
import { z } from 'zod';
import { listOf, page, pageOf, pageQuery } from '../platform/http/paginate';
import { Download, route, type RouteDef } from '../platform/http/routes';
import type { ForecastService, LiveForecast } from './forecast.service';
import {
  AccuracyDocument,
  BatchDocument,
  BatchParams,
  BatchQuery,
  BatchSummaryDocument,
  CommitBody,
  CommitRowsBody,
  CommitRowsDocument,
  LiveForecastDocument,
  WebhookDeliveryDocument,
  toBatchCsv,
  toBatchDto,
  toBatchSummaryDto,
  toCommitRowsDto,
  toDeliveryDto,
  DeliveryParams,
  DeliveryQuery,
  FactoryDeliveryParams,
} from './forecast.schemas';
import { notFound } from '../platform/http/app-error';
import { canActForFactory } from '../platform/http/principal';

const REDELIVER =
  'The batch of that attempt, POSTed again now as every push sends it (same event id), and logged as a new attempt (`manual`). A receiver that fails is an answer, not an error: the attempt says `delivered` false with its status code or error. The automatic retries keep their schedule: one that comes after a delivery does nothing.';

export function forecastRoutes(forecasts: ForecastService, clock: Clock): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/factory/forecast',
      summary: "The calling factory's live demand forecast per campaign and variant, per day and per ISO week of ship date (factory users and keys)",
      access: ['factory'],
      response: LiveForecastDocument,
      doc: { answer: 'The forecast' },
      handle: async ({ principal }) => toLiveForecastDto(await forecasts.live(principal.factoryId)),
    }),
    route({
      method: 'get',
      path: '/v1/factory/forecast-batches',
      summary: "The calling factory's published forecast batches, newest version first",
      access: ['factory'],
      query: pageQuery,
      response: pageOf(BatchSummaryDocument),
      doc: { answer: 'A page of batches' },
      handle: async ({ principal, query }) => {
        const { items, total } = await forecasts.list(principal.factoryId, query);
        return page(
          items.map((b) => toBatchSummaryDto(b, clock.now())),
          total,
          query,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/factory/forecast-batches/:id',
      summary:
        "One batch with its lines, as JSON, or as CSV (UTF-8 with a BOM) with `?format=csv` or `Accept: text/csv`; the CSV's columns after the reason are each line's kind and sourceKey, then one per option of the campaigns (`规格 colour`, `规格 size`, …) with the line's value",
      access: ['factory'],
      params: BatchParams,
      query: BatchQuery,
      response: BatchDocument,
      doc: { answer: 'The batch', files: { 'text/csv': 'The batch as CSV (UTF-8 with a BOM), one row per line' } },
      handle: async ({ principal, params, query, req }) => {
        const detail = await forecasts.get(principal.factoryId, params.id);
        const csv = query.format === 'csv' || (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv) return new Download('text/csv; charset=utf-8', `forecast-v${detail.batch.version}.csv`, toBatchCsv(detail));
        return toBatchDto(detail, clock.now());
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/forecast-batches/:id/acknowledge',
      summary: 'Acknowledge a batch; acknowledging again changes nothing',
      access: ['factory'],
      params: BatchParams,
      response: BatchDocument,
      doc: {
        answer: 'The acknowledged batch',
        problems: { 409: '`batch_superseded`: the version was never acknowledged and a newer one replaced it (acknowledge the newest)' },
      },
      handle: async ({ principal, params }) => {
        await forecasts.acknowledge(principal, params.id);
        return toBatchDto(await forecasts.get(principal.factoryId, params.id), clock.now());
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/forecast-batches/:id/commit',
      summary:
        "Commit quantities and ship-by dates for lines of an acknowledged batch, all or none; below a line's firm units a reason is required; committing a line again replaces its answer",
      access: ['factory'],
      params: BatchParams,
      body: CommitBody,
      response: BatchDocument,
      doc: {
        description:
          "`{lines: [...]}`; one line's answer may also be sent on its own (`{lineId, quantity, shipBy, reason?, note?}`). `shipBy` is today or later; `reason` (capacity, material, other) is required when the quantity is below the line's firm units.",
        answer: 'The batch with its commitments',
        problems: {
          400: '`invalid_commitment`: a line not in the batch, a ship-by date in the past, or no reason for a quantity below the firm units',
          409: '`batch_not_acknowledged`: acknowledge the batch first; `batch_superseded`: the version was never acknowledged and a newer one replaced it (answer the newest)',
        },
      },
      handle: async ({ principal, params, body }) => {
        await forecasts.commit(principal, params.id, body.lines);
        return toBatchDto(await forecasts.get(principal.factoryId, params.id), clock.now());
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/forecast-batches/:id/commit-unchanged',
      summary:
        "Commit every line of an acknowledged batch whose firm units are unchanged since the previous version and that is not yet answered, in one action: with the previous version's answer where it carries, otherwise the firm units by the Sunday of the line's ship week",
      access: ['factory'],
      params: BatchParams,
      response: z.intersection(BatchDocument, z.object({ linesCommitted: z.int().meta({ description: 'How many lines this request answered' }) })),
      doc: {
        answer: 'The batch with its commitments, and how many lines were answered',
        problems: {
          409: '`batch_not_acknowledged`: acknowledge the batch first; `batch_superseded`: the version was never acknowledged and a newer one replaced it (answer the newest)',
        },
      },
      handle: async ({ principal, params }) => {
        const linesCommitted = await forecasts.commitUnchanged(principal, params.id);
        return { ...toBatchDto(await forecasts.get(principal.factoryId, params.id), clock.now()), linesCommitted };
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/forecast-batches/:id/commit-rows',
      summary:
        "Commit from the batch's CSV as the planner filled it in (行 line, 承诺量 committed, 最晚出货 ship by, 原因 reason per row, its cells as read), all rows or none; `preview: true` only says what committing would do. A row that repeats its line's answer writes nothing: sending the same rows again changes nothing",
      access: ['factory'],
      params: BatchParams,
      body: CommitRowsBody,
      response: CommitRowsDocument,
      doc: {
        description:
          "Each row is checked against the batch as it is now: its line (not_in_batch, duplicate_line), its version if given (other_version), the quantity (not_a_number, not_whole_number, too_small, too_big), the ship-by date (invalid_date, date_in_past) and the reason (invalid_option, reason_required below the firm units). A preview answers 200 with every row's outcome and errors; a commit with any error answers 400 `invalid_upload`, each error at `body.rows.N.field` with its reason, and writes nothing. A quantity above the forecast's high end is allowed, with a warning (above_high). The CSV is parsed by the client (the portal reads it in the browser, UTF-8 or GB18030 as Excel saves it).",
        answer: 'What each row does (or did), how many lines were written, and the batch with its commitments',
        problems: {
          400: '`invalid_upload`: a row has an error (nothing was committed)',
          409: '`batch_not_acknowledged`: acknowledge the batch first; `batch_superseded`: the version was never acknowledged and a newer one replaced it (answer the newest)',
        },
      },
      handle: async ({ principal, params, body }) => {
        const preview = body.preview ?? false;
        const result = await forecasts.commitRows(principal, params.id, body.rows, preview);
        return toCommitRowsDto(result, preview, toBatchDto(await forecasts.get(principal.factoryId, params.id), clock.now()));
      },
    }),
    route({
      method: 'get',
      path: '/v1/factory/forecast-accuracy',
      summary:
        "Forecast error (MAPE and bias) of each version against the calling factory's completed campaigns, how each campaign's forecast moved, and the units it produced to plan (its commitments) against the units finally paid",
      access: ['factory'],
      response: AccuracyDocument,
      doc: { answer: 'Accuracy' },
      handle: async ({ principal }) => {
        const { versions, campaigns, plan } = await forecasts.accuracy(principal.factoryId);
        return {
          plan,
          versions: versions.map((v) => ({ ...v, publishedAt: v.publishedAt.toISOString() })),
          campaigns: campaigns.map((c) => ({ ...c, versions: c.versions.map((v) => ({ ...v, publishedAt: v.publishedAt.toISOString() })) })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/factory/webhook-deliveries',
      summary: "Every attempt to push a batch to the calling factory's webhook, newest first, with the next retry or when the retries gave up",
      access: ['factory'],
      query: DeliveryQuery,
      response: pageOf(WebhookDeliveryDocument),
      doc: { answer: 'A page of attempts' },
      handle: async ({ principal, query }) => {
        const { items, total } = await forecasts.deliveries(principal.factoryId, query, { failing: query.status === 'failing' });
        return page(items.map(toDeliveryDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/webhook-deliveries',
      summary: "A factory's webhook push attempts (operators, or the factory itself; others get 404)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      query: DeliveryQuery,
      response: pageOf(WebhookDeliveryDocument),
      doc: { answer: 'A page of attempts' },
      handle: async ({ principal, params, query }) => {
        if (!canActForFactory(principal, params.id)) throw notFound('The factory');
        const { items, total } = await forecasts.deliveries(params.id, query, { failing: query.status === 'failing' });
        return page(items.map(toDeliveryDto), total, query);
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/webhook-deliveries/:id/redeliver',
      summary: "Redeliver: push an attempt's batch to the calling factory's webhook again, now",
      access: ['factory'],
      params: DeliveryParams,
      response: WebhookDeliveryDocument,
      doc: {
        description: REDELIVER,
        answer: 'The new attempt, delivered or not',
        problems: { 409: WEBHOOK_UNUSABLE },
      },
      handle: async ({ principal, params }) => toDeliveryDto(await forecasts.redeliver(principal.factoryId, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/webhook-deliveries/:deliveryId/redeliver',
      summary: "Redeliver one of a factory's push attempts now (operators, or the factory itself; others get 404)",
      access: ['operator', 'factory'],
      params: FactoryDeliveryParams,
      body: z.strictObject({ reason: z.string().trim().min(1).max(500).optional().meta({ description: 'Why, for the audit log' }) }),
      response: WebhookDeliveryDocument,
      doc: {
        description: REDELIVER,
        answer: 'The new attempt, delivered or not',
        problems: { 409: WEBHOOK_UNUSABLE },
      },
      handle: async ({ principal, params }) => {
        if (!canActForFactory(principal, params.id)) throw notFound('The factory');
        return toDeliveryDto(await forecasts.redeliver(params.id, params.deliveryId));
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/forecast-batches/:id/push',
      summary: "Push one of the calling factory's batches to its webhook now (after saving a new URL, say), delivered before or not",
      access: ['factory'],
      params: BatchParams,
      response: WebhookDeliveryDocument,
      doc: {
        description:
          'One attempt now, logged among the deliveries (`manual`), with the batch as every push sends it (same event id: a receiver that has it already may ignore it).',
        answer: 'The attempt, delivered or not',
        problems: { 409: WEBHOOK_UNUSABLE },
      },
      handle: async ({ principal, params }) => toDeliveryDto(await forecasts.pushNow(principal.factoryId, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/forecast-batches',
      summary: "Publish a factory's forecast now, if anything changed since its last version (operators)",
      access: ['operator'],
      params: FactoryParams,
      response: z.object({ published: z.boolean(), batch: BatchSummaryDocument.nullable() }),
      doc: { answer: 'Whether a new version was published' },
      handle: async ({ params }) => {
        const batch = await forecasts.publish(params.id, 'operator');
        if (!batch) return { published: false, batch: null };
        const totals = (await forecasts.unitTotals([batch.id])).get(batch.id) ?? [];
        return { published: true, batch: toBatchSummaryDto({ batch, committedLines: 0, superseded: false, totals }, clock.now()) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/forecast-batches/overdue',
      summary: 'Batches their factory has not acknowledged within 24 hours of publishing (operators)',
      access: ['operator'],
      response: listOf(z.intersection(BatchSummaryDocument, z.object({ factoryId: z.uuid() }))),
      doc: { answer: 'Overdue batches, oldest first' },
      handle: async () => {
        const overdue = await forecasts.overdueAcknowledgements();
        const totals = await forecasts.unitTotals(overdue.map((b) => b.id));
        return {
          items: overdue.map((batch) => ({
            ...toBatchSummaryDto({ batch, committedLines: 0, superseded: false, totals: totals.get(batch.id) ?? [] }, clock.now()),
            factoryId: batch.factoryId,
          })),
        };
      },
    }),
  ];
}

function toLiveForecastDto(forecast: LiveForecast): z.output<typeof LiveForecastDocument> {
  return {
    generatedAt: forecast.generatedAt.toISOString(),
    balanceConversion: { rate: forecast.conversion.rate.valueOf(), source: forecast.conversion.source },
    // kind and sourceKey as on a batch's lines; a supply's `key` stays for clients written before them.
    campaigns: forecast.campaigns.map((c) => ({ kind: 'campaign' as const, sourceKey: c.campaignId, ...c, closesAt: c.closesAt.toISOString() })),
    supplies: forecast.supplies.map((l) => ({ kind: 'supply' as const, ...l, key: l.sourceKey })),
    weeks: forecast.weeks,
  };
}
