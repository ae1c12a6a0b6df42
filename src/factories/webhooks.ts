import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { AppError, notFound } from '../platform/http/app-error';
import { notPublic } from '../platform/outbound-http';
import type { SecretBox } from '../platform/secret-box';
import { FactoryRow, FactoryWebhookRow } from './factory.entity';

/** How long the previous secret keeps signing after a rotation, so the factory's receiver can switch over. */
export const ROTATION_GRACE_MS = 24 * 3600_000;

export interface WebhookTarget {
  url: string;
  /** The current secret first, then the previous one while its grace period lasts. */
  secrets: string[];
}

/** A factory's webhook: its URL and signing secret. The secret is shown once, when it is made. */
export class FactoryWebhooks {
  constructor(private readonly deps: { db: Database; clock: Clock; box: SecretBox; allowPrivateAddresses: boolean }) {}

  async get(factoryId: string): Promise<FactoryWebhookRow | null> {
    return this.deps.db.read((tx) => tx.findOneBy(FactoryWebhookRow, { factoryId }));
  }

  /** Sets the URL; the first time, a secret is made and returned. */
  async setUrl(factoryId: string, url: string): Promise<{ webhook: FactoryWebhookRow; secret: string | undefined }> {
    // Pushes would otherwise reach the service's own network (its ports, a database, the cloud metadata
    // at 169.254.169.254) and the delivery log would tell the factory what answered. Each push checks again.
    if (!this.deps.allowPrivateAddresses && (await notPublic(new URL(url)))) throw webhookUrlNotPublic();
    return this.deps.db.transaction(async (tx) => {
      if (!(await tx.existsBy(FactoryRow, { id: factoryId }))) throw notFound('The factory');
      const now = this.deps.clock.now();
      const existing = await tx.findOne(FactoryWebhookRow, { where: { factoryId }, lock: this.deps.db.rowLock() });
      if (existing) {
        await tx.update(FactoryWebhookRow, { factoryId }, { url, updatedAt: now });
        return { webhook: Object.assign(existing, { url, updatedAt: now }), secret: undefined };
      }
      const secret = newWebhookSecret();
      const webhook = Object.assign(new FactoryWebhookRow(), {
        factoryId,
        url,
        secretSealed: this.deps.box.seal(secret),
        previousSecretSealed: null,
        secretRotatedAt: now,
        updatedAt: now,
      });
      await tx.insert(FactoryWebhookRow, webhook);
      return { webhook, secret };
    });
  }

  /** A new secret; the old one keeps signing beside it for ROTATION_GRACE_MS. */
  async rotateSecret(factoryId: string): Promise<{ webhook: FactoryWebhookRow; secret: string }> {
    return this.deps.db.transaction(async (tx) => {
      const webhook = await tx.findOne(FactoryWebhookRow, { where: { factoryId }, lock: this.deps.db.rowLock() });
      if (!webhook) throw notFound('The webhook');
      const secret = newWebhookSecret();
      Object.assign(webhook, {
        previousSecretSealed: webhook.secretSealed,
        secretSealed: this.deps.box.seal(secret),
        secretRotatedAt: this.deps.clock.now(),
        updatedAt: this.deps.clock.now(),
      });
      await tx.save(webhook);
      return { webhook, secret };
    });
  }

  async remove(factoryId: string): Promise<void> {
    await this.deps.db.transaction((tx) => tx.delete(FactoryWebhookRow, { factoryId }));
  }

  /** Where to push and what to sign with, or undefined when the factory has no webhook. */
  async target(tx: Tx, factoryId: string): Promise<WebhookTarget | undefined> {
    const webhook = await tx.findOneBy(FactoryWebhookRow, { factoryId });
    if (!webhook) return undefined;
    const inGrace = webhook.previousSecretSealed !== null && this.deps.clock.now().getTime() - webhook.secretRotatedAt.getTime() < ROTATION_GRACE_MS;
    return { url: webhook.url, secrets: [webhook.secretSealed, ...(inGrace ? [webhook.previousSecretSealed!] : [])].map((s) => this.deps.box.open(s)) };
  }
}

function webhookUrlNotPublic(): AppError {
  const message =
    '不能推送到内部网络地址（本机、私有网段、链路本地等），请填写可从公网访问的地址。The URL is, or resolves to, an address that is not public (loopback, private, link-local, reserved): use an address reachable from the internet.';
  return new AppError(422, 'webhook_url_not_public', message, [{ path: 'body.url', message, reason: 'not_public' }]);
}

function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
