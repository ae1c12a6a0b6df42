import type { Clock } from '../platform/clock';
import { FactoryParams } from '../factories';
import { page, pageQuery } from '../platform/http/paginate';
import { Download, route, type RouteDef } from '../platform/http/routes';
import type { ForecastService, LiveForecast } from './forecast.service';
import { BatchParams, BatchQuery, CommitBody, toBatchCsv, toBatchDto, toBatchSummaryDto, toDeliveryDto } from './forecast.schemas';

export function forecastRoutes(forecasts: ForecastService, clock: Clock): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/factory/forecast',
      summary: "The calling factory's live demand forecast per campaign, variant and ship week",
      access: ['factory'],
      handle: async ({ principal }) => toLiveForecastDto(await forecasts.live(principal.factoryId)),
    }),
    route({
      method: 'get',
      path: '/v1/factory/forecast-batches',
      summary: "The calling factory's published forecast batches, newest first",
      access: ['factory'],
      query: pageQuery,
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
      summary: 'One forecast batch with its lines, as JSON or CSV (?format=csv or Accept: text/csv)',
      access: ['factory'],
      params: BatchParams,
      query: BatchQuery,
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
      summary: 'Acknowledge a forecast batch (again: no change)',
      access: ['factory'],
      params: BatchParams,
      handle: async ({ principal, params }) => {
        await forecasts.acknowledge(principal, params.id);
        return toBatchDto(await forecasts.get(principal.factoryId, params.id), clock.now());
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/forecast-batches/:id/commit',
      summary: 'Commit quantities and ship-by dates for lines of an acknowledged batch (a reason where below the firm units)',
      access: ['factory'],
      params: BatchParams,
      body: CommitBody,
      handle: async ({ principal, params, body }) => {
        await forecasts.commit(principal, params.id, body.lines);
        return toBatchDto(await forecasts.get(principal.factoryId, params.id), clock.now());
      },
    }),
    route({
      method: 'get',
      path: '/v1/factory/forecast-accuracy',
      summary: "Forecast error of each version against the calling factory's completed campaigns",
      access: ['factory'],
      handle: async ({ principal }) => {
        const { versions, campaigns } = await forecasts.accuracy(principal.factoryId);
        return {
          versions: versions.map((v) => ({ ...v, publishedAt: v.publishedAt.toISOString() })),
          campaigns: campaigns.map((c) => ({ ...c, versions: c.versions.map((v) => ({ ...v, publishedAt: v.publishedAt.toISOString() })) })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/factory/webhook-deliveries',
      summary: "Every attempt to push a batch to the calling factory's webhook, newest first",
      access: ['factory'],
      query: pageQuery,
      handle: async ({ principal, query }) => {
        const { items, total } = await forecasts.deliveries(principal.factoryId, query);
        return page(items.map(toDeliveryDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/webhook-deliveries',
      summary: "A factory's webhook push attempts (operators)",
      access: ['operator'],
      params: FactoryParams,
      query: pageQuery,
      handle: async ({ params, query }) => {
        const { items, total } = await forecasts.deliveries(params.id, query);
        return page(items.map(toDeliveryDto), total, query);
      },
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/forecast-batches',
      summary: "Publish a factory's forecast now, if anything changed (operators)",
      access: ['operator'],
      params: FactoryParams,
      handle: async ({ params }) => {
        const batch = await forecasts.publish(params.id, 'operator');
        return { published: batch !== undefined, batch: batch ? toBatchSummaryDto({ batch, committedLines: 0 }, clock.now()) : null };
      },
    }),
    route({
      method: 'get',
      path: '/v1/forecast-batches/overdue',
      summary: 'Batches not acknowledged within 24 hours of publishing (operators)',
      access: ['operator'],
      handle: async () => ({
        items: (await forecasts.overdueAcknowledgements()).map((batch) => ({
          ...toBatchSummaryDto({ batch, committedLines: 0 }, clock.now()),
          factoryId: batch.factoryId,
        })),
      }),
    }),
  ];
}

function toLiveForecastDto(forecast: LiveForecast) {
  return {
    generatedAt: forecast.generatedAt.toISOString(),
    balanceConversion: forecast.conversion,
    // kind and sourceKey as on a batch's lines; a supply's `key` stays for clients written before them.
    campaigns: forecast.campaigns.map((c) => ({ kind: 'campaign' as const, sourceKey: c.campaignId, ...c, closesAt: c.closesAt.toISOString() })),
    supplies: forecast.supplies.map((l) => ({ kind: 'supply' as const, ...l, key: l.sourceKey })),
    weeks: forecast.weeks,
  };
}
