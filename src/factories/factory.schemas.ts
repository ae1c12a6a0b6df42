import { z } from 'zod';
import { displayName, email, password } from '../accounts';
import { idSchema as id } from '../platform/ids';
import type { FactoryApiKeyRow, FactoryRow, FactoryWebhookRow } from './factory.entity';

export const FactoryParams = z.strictObject({ id });
export const ApiKeyParams = z.strictObject({ id, keyId: id });

export const CreateFactoryBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['manufacturer', 'orchard']).default('manufacturer'),
  contactEmail: email,
});
export type CreateFactoryInput = z.infer<typeof CreateFactoryBody>;

export const CreateFactoryUserBody = z.strictObject({ email, password, displayName: displayName.optional() });
export const CreateApiKeyBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

export function toFactoryDto(f: FactoryRow) {
  return { id: f.id, name: f.name, kind: f.kind, contactEmail: f.contactEmail, createdAt: f.createdAt.toISOString() };
}

export function toApiKeyDto(k: FactoryApiKeyRow) {
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

export function toWebhookDto(w: FactoryWebhookRow, secret?: string) {
  return { url: w.url, secretRotatedAt: w.secretRotatedAt.toISOString(), updatedAt: w.updatedAt.toISOString(), ...(secret ? { secret } : {}) };
}
