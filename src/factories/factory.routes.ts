import { UserDocument, toUserDto } from '../accounts';
import { listOf, page, pageOf, pageQuery } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { FactoryOverview, FactoryService } from './factory.service';
import { notFound } from '../platform/http/app-error';
import { canActForFactory } from '../platform/http/principal';
import {
  ApiKeyDocument,
  ApiKeyParams,
  CreateApiKeyBody,
  CreateFactoryBody,
  CreateFactoryUserBody,
  DisableUserBody,
  EnableUserBody,
  FactoryDocument,
  FactoryParams,
  FactorySummaryDocument,
  FactoryUserParams,
  IssuedApiKey,
  WebhookDocument,
  WebhookTestDocument,
  toApiKeyDto,
  toFactoryDto,
  toWebhookDto,
  webhookBody,
} from './factory.schemas';
import { WEBHOOK_UNUSABLE, type DeliveryOutcome, type FactoryWebhooks, type WebhookHealth, type WebhookHealthSource } from './webhooks';
import type { z } from 'zod';

export function factoryRoutes(factories: FactoryService, health: WebhookHealthSource): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/v1/factories',
      summary: 'Onboard a factory (operator)',
      access: ['operator'],
      status: 201,
      body: CreateFactoryBody,
      response: FactoryDocument,
      handle: async ({ body }) => toFactoryDto(await factories.create(body)),
    }),
    route({
      method: 'get',
      path: '/v1/factories',
      summary: 'List factories with their users, keys and webhook health (operator)',
      access: ['operator'],
      query: pageQuery,
      response: pageOf(FactorySummaryDocument),
      doc: { answer: 'A page of factories, oldest first' },
      handle: async ({ query }) => {
        const { items, total } = await factories.overview(query);
        const healths = await health.webhookHealth(items.filter((i) => i.webhookUrl !== null).map((i) => i.factory.id));
        return page(
          items.map((item) => toFactorySummaryDto(item, healths.get(item.factory.id))),
          total,
          query,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id',
      summary: "One factory (operators, or the factory's own users and keys; others get 404)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      response: FactoryDocument,
      doc: { answer: 'The factory' },
      handle: async ({ principal, params }) => toFactoryDto(await factories.get(principal, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/users',
      summary: 'Create a portal user for a factory (operator)',
      access: ['operator'],
      status: 201,
      params: FactoryParams,
      body: CreateFactoryUserBody,
      response: UserDocument,
      doc: { problems: { 409: '`email_taken`' } },
      handle: async ({ params, body }) => toUserDto(await factories.addUser(params.id, body)),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/users/:userId/disable',
      summary: "Disable a factory's portal user (operator): it cannot sign in, and its sessions end at once; disabling twice is fine",
      access: ['operator'],
      params: FactoryUserParams,
      body: DisableUserBody,
      response: UserDocument,
      doc: { answer: 'The user, disabled' },
      handle: async ({ params }) => toUserDto(await factories.setUserDisabled(params.id, params.userId, true)),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/users/:userId/enable',
      summary: 'Enable a disabled portal user again (operator); it signs in anew',
      access: ['operator'],
      params: FactoryUserParams,
      body: EnableUserBody,
      response: UserDocument,
      doc: { answer: 'The user, enabled' },
      handle: async ({ params }) => toUserDto(await factories.setUserDisabled(params.id, params.userId, false)),
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/users',
      summary: "A factory's portal users (operators, or the factory itself)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      response: listOf(UserDocument),
      doc: { answer: 'Users' },
      handle: async ({ principal, params }) => ({ items: (await factories.listUsers(principal, params.id)).map((user) => toUserDto(user)) }),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/api-keys',
      summary: 'Issue an API key for a factory (operator); the secret `apiKey` is shown only in this response',
      access: ['operator'],
      status: 201,
      params: FactoryParams,
      body: CreateApiKeyBody,
      response: IssuedApiKey,
      handle: async ({ params, body }) => {
        const { key, apiKey } = await factories.createApiKey(params.id, body.name);
        return { ...toApiKeyDto(key), apiKey };
      },
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/api-keys',
      summary: "A factory's API keys, without their secrets (operators, or the factory itself)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      response: listOf(ApiKeyDocument),
      doc: { answer: 'Keys' },
      handle: async ({ principal, params }) => ({ items: (await factories.listApiKeys(principal, params.id)).map(toApiKeyDto) }),
    }),
    route({
      method: 'delete',
      path: '/v1/factories/:id/api-keys/:keyId',
      summary: 'Revoke an API key (operator); revoking twice is fine',
      access: ['operator'],
      status: 204,
      params: ApiKeyParams,
      response: null,
      doc: { answer: 'Revoked' },
      handle: async ({ params }) => {
        await factories.revokeApiKey(params.id, params.keyId);
      },
    }),
  ];
}

/** The calling factory's webhook for forecast batches. The signing secret is shown when it is made, and never again. */
export function webhookRoutes(webhooks: FactoryWebhooks, options: { requireHttps: boolean }): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/v1/factory/webhook',
      summary: "The calling factory's webhook for batches (never its secret)",
      access: ['factory'],
      response: WebhookDocument,
      doc: { answer: 'The webhook', problems: { 404: '`not_found`: no webhook is set' } },
      handle: async ({ principal }) => {
        const webhook = await webhooks.get(principal.factoryId);
        if (!webhook) throw notFound('The webhook');
        return toWebhookDto(webhook);
      },
    }),
    route({
      method: 'put',
      path: '/v1/factory/webhook',
      summary: 'Set the webhook URL; the first time, the signing secret is returned in `secret`, once',
      access: ['factory'],
      body: webhookBody(options.requireHttps),
      response: WebhookDocument,
      doc: {
        description:
          'The URL: http(s), https in production; no user name or password in it (pushes are signed instead); its host must be, and resolve to, public addresses only (not loopback, private, link-local or reserved) unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is set.',
        answer: 'The webhook',
        problems: { 422: '`webhook_url_not_public`: the host is, or resolves to, an address that is not public' },
      },
      handle: async ({ principal, body }) => {
        const { webhook, secret } = await webhooks.setUrl(principal.factoryId, body.url);
        return toWebhookDto(webhook, secret);
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/webhook/test',
      summary: 'Send test: a signed `webhook.test` event POSTed to the webhook now, and what came of it',
      access: ['factory'],
      response: WebhookTestDocument,
      doc: {
        description:
          'The body is `{type: "webhook.test", eventId: "test:<uuid>", factoryId, sentAt}`, signed like every push (X-C2M-Signature). A receiver that fails is an answer, not an error: `delivered` false with the status code or the error. Not logged among the deliveries, never retried.',
        answer: 'What the receiver answered',
        problems: { 409: WEBHOOK_UNUSABLE },
      },
      handle: async ({ principal }) => toWebhookTestDto(await webhooks.sendTest(principal.factoryId)),
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/webhook',
      summary: "A factory's webhook, never its secret (operators, or the factory itself; others get 404)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      response: WebhookDocument,
      doc: { answer: 'The webhook', problems: { 404: '`not_found`: no such factory, or no webhook is set' } },
      handle: async ({ principal, params }) => {
        if (!canActForFactory(principal, params.id)) throw notFound('The factory');
        const webhook = await webhooks.get(params.id);
        if (!webhook) throw notFound('The webhook');
        return toWebhookDto(webhook);
      },
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/webhook/test',
      summary: "Send test to a factory's webhook (operators, or the factory itself; others get 404)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      response: WebhookTestDocument,
      doc: { answer: 'What the receiver answered', problems: { 409: WEBHOOK_UNUSABLE } },
      handle: async ({ principal, params }) => {
        if (!canActForFactory(principal, params.id)) throw notFound('The factory');
        return toWebhookTestDto(await webhooks.sendTest(params.id));
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/webhook/rotate-secret',
      summary: 'A new signing secret, returned once in `secret`; for 24 hours pushes carry a signature by the old secret too',
      access: ['factory'],
      response: WebhookDocument,
      doc: { answer: 'The webhook with its new secret', problems: { 404: '`not_found`: no webhook is set' } },
      handle: async ({ principal }) => {
        const { webhook, secret } = await webhooks.rotateSecret(principal.factoryId);
        return toWebhookDto(webhook, secret);
      },
    }),
    route({
      method: 'delete',
      path: '/v1/factory/webhook',
      summary: 'Stop pushing batches to a webhook',
      access: ['factory'],
      status: 204,
      response: null,
      doc: { answer: 'Removed' },
      handle: async ({ principal }) => {
        await webhooks.remove(principal.factoryId);
      },
    }),
  ];
}

function toFactorySummaryDto(item: FactoryOverview, health: WebhookHealth | undefined): z.input<typeof FactorySummaryDocument> {
  const last = health?.lastAttempt ?? null;
  return {
    ...toFactoryDto(item.factory),
    users: item.users,
    activeApiKeys: item.activeApiKeys,
    webhook:
      item.webhookUrl === null
        ? null
        : {
            url: item.webhookUrl,
            lastAttemptAt: last?.at.toISOString() ?? null,
            lastDelivered: last?.delivered ?? null,
            lastStatusCode: last?.statusCode ?? null,
            lastErrorKind: last?.errorKind ?? null,
            failingBatches: health?.failingBatches ?? 0,
            retryingBatches: health?.retryingBatches ?? 0,
            nextAttemptAt: health?.nextAttemptAt?.toISOString() ?? null,
          },
  };
}

function toWebhookTestDto(outcome: DeliveryOutcome & { eventId: string }): z.input<typeof WebhookTestDocument> {
  return {
    eventId: outcome.eventId,
    url: outcome.url,
    attemptedAt: outcome.attemptedAt.toISOString(),
    delivered: outcome.delivered,
    statusCode: outcome.statusCode,
    error: outcome.error,
    errorKind: outcome.errorKind,
    durationMs: outcome.durationMs,
  };
}
