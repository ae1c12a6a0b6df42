import { toUserDto } from '../accounts';
import { page, pageQuery } from '../platform/http/paginate';
import { route, type RouteDef } from '../platform/http/routes';
import type { FactoryService } from './factory.service';
import { notFound } from '../platform/http/app-error';
import {
  ApiKeyParams,
  CreateApiKeyBody,
  CreateFactoryBody,
  CreateFactoryUserBody,
  FactoryParams,
  toApiKeyDto,
  toFactoryDto,
  toWebhookDto,
  webhookBody,
} from './factory.schemas';
import type { FactoryWebhooks } from './webhooks';

export function factoryRoutes(factories: FactoryService): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/v1/factories',
      summary: 'Onboard a factory',
      access: ['operator'],
      status: 201,
      body: CreateFactoryBody,
      handle: async ({ body }) => toFactoryDto(await factories.create(body)),
    }),
    route({
      method: 'get',
      path: '/v1/factories',
      summary: 'List factories',
      access: ['operator'],
      query: pageQuery,
      handle: async ({ query }) => {
        const { items, total } = await factories.list(query);
        return page(items.map(toFactoryDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id',
      summary: 'One factory (operators, or the factory itself)',
      access: ['operator', 'factory'],
      params: FactoryParams,
      handle: async ({ principal, params }) => toFactoryDto(await factories.get(principal, params.id)),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/users',
      summary: "Create a factory's portal user",
      access: ['operator'],
      status: 201,
      params: FactoryParams,
      body: CreateFactoryUserBody,
      handle: async ({ params, body }) => toUserDto(await factories.addUser(params.id, body)),
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/users',
      summary: "A factory's portal users",
      access: ['operator', 'factory'],
      params: FactoryParams,
      handle: async ({ principal, params }) => ({ items: (await factories.listUsers(principal, params.id)).map((user) => toUserDto(user)) }),
    }),
    route({
      method: 'post',
      path: '/v1/factories/:id/api-keys',
      summary: 'Issue a factory API key (its secret is shown once)',
      access: ['operator'],
      status: 201,
      params: FactoryParams,
      body: CreateApiKeyBody,
      handle: async ({ params, body }) => {
        const { key, apiKey } = await factories.createApiKey(params.id, body.name);
        return { ...toApiKeyDto(key), apiKey };
      },
    }),
    route({
      method: 'get',
      path: '/v1/factories/:id/api-keys',
      summary: "A factory's API keys (never their secrets)",
      access: ['operator', 'factory'],
      params: FactoryParams,
      handle: async ({ principal, params }) => ({ items: (await factories.listApiKeys(principal, params.id)).map(toApiKeyDto) }),
    }),
    route({
      method: 'delete',
      path: '/v1/factories/:id/api-keys/:keyId',
      summary: 'Revoke a factory API key',
      access: ['operator'],
      status: 204,
      params: ApiKeyParams,
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
      summary: "The calling factory's webhook (never its secret)",
      access: ['factory'],
      handle: async ({ principal }) => {
        const webhook = await webhooks.get(principal.factoryId);
        if (!webhook) throw notFound('The webhook');
        return toWebhookDto(webhook);
      },
    }),
    route({
      method: 'put',
      path: '/v1/factory/webhook',
      summary: 'Set the webhook URL (the first time, the signing secret is returned once)',
      access: ['factory'],
      body: webhookBody(options.requireHttps),
      handle: async ({ principal, body }) => {
        const { webhook, secret } = await webhooks.setUrl(principal.factoryId, body.url);
        return toWebhookDto(webhook, secret);
      },
    }),
    route({
      method: 'post',
      path: '/v1/factory/webhook/rotate-secret',
      summary: 'A new signing secret (returned once); the old one also signs for 24 hours',
      access: ['factory'],
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
      handle: async ({ principal }) => {
        await webhooks.remove(principal.factoryId);
      },
    }),
  ];
}
