import { z } from 'zod';
import { displayName, email, password } from '../accounts';
import { idSchema as id } from '../platform/ids';
import type { FactoryApiKeyRow, FactoryRow, FactoryWebhookRow } from './factory.entity';

export const FactoryParams = z.strictObject({ id });
export const ApiKeyParams = z.strictObject({ id, keyId: id });
export const FactoryUserParams = z.strictObject({ id, userId: id });

export const CreateFactoryBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['manufacturer', 'orchard']).default('manufacturer'),
  contactEmail: email,
});
export type CreateFactoryInput = z.infer<typeof CreateFactoryBody>;

export const CreateFactoryUserBody = z.strictObject({ email, password, displayName: displayName.optional() });
export const CreateApiKeyBody = z.strictObject({ name: z.string().trim().min(1).max(100) });
const reason = z.string().trim().min(1).max(500);
export const DisableUserBody = z.strictObject({ reason: reason.meta({ description: 'Why, for the audit log' }) });
export const EnableUserBody = z.strictObject({ reason: reason.optional().meta({ description: 'Why, for the audit log' }) });

export const FactoryDocument = z
  .object({ id: z.uuid(), name: z.string(), kind: z.enum(['manufacturer', 'orchard']), contactEmail: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'Factory' });

export const deliveryErrorKind = z
  .enum(['http_status', 'timeout', 'connect_failed', 'address_not_public'])
  .nullable()
  .meta({ description: 'Why it failed, in one word (for a screen to say in its language); null when delivered' });

export const WebhookHealthDocument = z
  .object({
    url: z.string(),
    lastAttemptAt: z.iso.datetime().nullable().meta({ description: 'The newest push attempt (any batch), null before the first' }),
    lastDelivered: z.boolean().nullable(),
    lastStatusCode: z.int().nullable(),
    lastErrorKind: deliveryErrorKind,
    failingBatches: z.int().meta({
      description: 'Batches whose pushes failed and were never delivered, newer than the newest delivered one (an older one is replaced by it)',
    }),
    retryingBatches: z.int().meta({ description: 'Of the failing batches, those the automatic retries will try again' }),
    nextAttemptAt: z.iso.datetime().nullable().meta({ description: 'The soonest automatic retry of a failing batch; null when none will come' }),
  })
  .meta({ id: 'WebhookHealth' });

export const FactorySummaryDocument = z
  .object({
    ...FactoryDocument.shape,
    users: z.object({ total: z.int(), active: z.int().meta({ description: 'Not disabled' }) }),
    activeApiKeys: z.int().meta({ description: 'Keys not revoked' }),
    webhook: WebhookHealthDocument.nullable().meta({ description: 'null when the factory has set no webhook' }),
  })
  .meta({ id: 'FactorySummary' });

export const WebhookTestDocument = z
  .object({
    eventId: z.string().meta({ description: 'test:<uuid>, as sent in X-C2M-Event-Id' }),
    url: z.string(),
    attemptedAt: z.iso.datetime(),
    delivered: z.boolean().meta({ description: 'The receiver answered 2xx' }),
    statusCode: z.int().nullable(),
    error: z.string().nullable(),
    errorKind: deliveryErrorKind,
    durationMs: z.int(),
  })
  .meta({ id: 'WebhookTest' });

export const ApiKeyDocument = z
  .object({ id: z.uuid(), factoryId: z.uuid(), name: z.string(), createdAt: z.iso.datetime(), revokedAt: z.iso.datetime().nullable() })
  .meta({ id: 'ApiKey' });

/** The answer that issues a key: the only one that shows its secret. */
export const IssuedApiKey = z.intersection(ApiKeyDocument, z.object({ apiKey: z.string().meta({ description: 'Send as "Authorization: Bearer <apiKey>"' }) }));

export const WebhookDocument = z
  .object({
    url: z.string(),
    secretRotatedAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    secret: z.string().optional().meta({ description: 'Only when it was just made; sign-check pushes with it (header X-C2M-Signature, t=…,v1=…)' }),
  })
  .meta({ id: 'Webhook' });

export function toFactoryDto(f: FactoryRow): z.output<typeof FactoryDocument> {
  return { id: f.id, name: f.name, kind: f.kind, contactEmail: f.contactEmail, createdAt: f.createdAt.toISOString() };
}

export function toApiKeyDto(k: FactoryApiKeyRow): z.output<typeof ApiKeyDocument> {
  return { id: k.id, factoryId: k.factoryId, name: k.name, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null };
}

export const webhookBody = (requireHttps: boolean) =>
  z.strictObject({
    url: z
      .url({ protocol: requireHttps ? /^https$/ : /^https?$/, message: requireHttps ? 'must be an https:// URL' : 'must be an http:// or https:// URL' })
      .max(2000)
      // A push could never use it (fetch refuses a URL with credentials), and every failed push would log it, password and all.
      // (zod runs this check even after the URL check failed: a string that is no URL is left to that one.)
      .refine(
        (url) => !URL.canParse(url) || (new URL(url).username === '' && new URL(url).password === ''),
        'must not hold a user name or password: pushes are signed (X-C2M-Signature) instead',
      ),
  });

export function toWebhookDto(w: FactoryWebhookRow, secret?: string): z.output<typeof WebhookDocument> {
  return { url: w.url, secretRotatedAt: w.secretRotatedAt.toISOString(), updatedAt: w.updatedAt.toISOString(), ...(secret ? { secret } : {}) };
}
