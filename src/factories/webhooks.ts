import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { AppError, notFound } from '../platform/http/app-error';
import { newId } from '../platform/ids';
import { AddressNotPublicError, notPublic, postOnce } from '../platform/outbound-http';
import type { SecretBox } from '../platform/secret-box';
import { signatureHeader } from '../platform/signature';
import { FactoryRow, FactoryWebhookRow } from './factory.entity';

/** How long the previous secret keeps signing after a rotation, so the factory's receiver can switch over. */
export const ROTATION_GRACE_MS = 24 * 3600_000;

export interface WebhookTarget {
  url: string;
  /** The current secret first, then the previous one while its grace period lasts. */
  secrets: string[];
}

/** Why a delivery failed, for a screen to say in its user's language (the `error` text is English, for logs and API clients). */
export type DeliveryErrorKind = 'http_status' | 'timeout' | 'connect_failed' | 'address_not_public';

/** What came of one signed POST to a webhook. */
export interface DeliveryOutcome {
  url: string;
  attemptedAt: Date;
  /** The receiver's HTTP status, null when none answered. */
  statusCode: number | null;
  /** null when delivered (a 2xx); otherwise what went wrong, in words. */
  error: string | null;
  errorKind: DeliveryErrorKind | null;
  durationMs: number;
  delivered: boolean;
  /** The full reason when the address was refused: for the server's log only (it names an internal address). */
  refusal?: Error;
}

/** How a factory's webhook pushes are going: what the console lists per factory. */
export interface WebhookHealth {
  lastAttempt: { at: Date; delivered: boolean; statusCode: number | null; errorKind: DeliveryErrorKind | null } | null;
  /** Batches whose pushes failed and were never delivered, newer than the newest delivered batch. */
  failingBatches: number;
  /** Of those, the ones the automatic retries will try again, and the soonest retry. */
  retryingBatches: number;
  nextAttemptAt: Date | null;
}

/** Whoever logs the pushes (the forecasts module) says how they are going, per factory (a port: factories does not know forecasts). */
export interface WebhookHealthSource {
  webhookHealth(factoryIds: readonly string[]): Promise<Map<string, WebhookHealth>>;
}

/** A factory's webhook: its URL and signing secret. The secret is shown once, when it is made. */
export class FactoryWebhooks {
  constructor(private readonly deps: { db: Database; clock: Clock; box: SecretBox; allowPrivateAddresses: boolean; timeoutMs: number }) {}

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

  /**
   * "Send test": a signed `webhook.test` event POSTed to the factory's webhook now, and what came of it.
   * Nothing is logged among the deliveries (it is no batch) and nothing is retried: the caller sees the result.
   */
  async sendTest(factoryId: string): Promise<DeliveryOutcome & { eventId: string }> {
    const target = await this.deps.db.read(async (tx) => {
      if (!(await tx.existsBy(FactoryRow, { id: factoryId }))) throw notFound('The factory');
      return this.target(tx, factoryId);
    });
    if (!target) throw webhookNotSet();
    const eventId = `test:${newId()}`;
    const body = Buffer.from(JSON.stringify({ type: 'webhook.test', eventId, factoryId, sentAt: this.deps.clock.now().toISOString() }));
    return { eventId, ...(await this.deliver(target, eventId, body)) };
  }

  /**
   * One signed POST of `body` to the target, whatever happens: a failure is an outcome, not an exception.
   * The receiver de-duplicates by the event id (header X-C2M-Event-Id).
   */
  async deliver(target: WebhookTarget, eventId: string, body: Buffer): Promise<DeliveryOutcome> {
    const attemptedAt = this.deps.clock.now();
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let errorKind: DeliveryErrorKind | null = null;
    let refusal: Error | undefined;
    try {
      ({ status: statusCode } = await postOnce(new URL(target.url), {
        body,
        timeoutMs: this.deps.timeoutMs,
        allowPrivateAddresses: this.deps.allowPrivateAddresses,
        headers: {
          'content-type': 'application/json',
          'x-c2m-event-id': eventId,
          'x-c2m-signature': signatureHeader(target.secrets, body, attemptedAt),
        },
      }));
      if (statusCode < 200 || statusCode >= 300) [error, errorKind] = [`the endpoint answered ${statusCode}`, 'http_status'];
    } catch (cause) {
      const e = cause as Error;
      if (e instanceof AddressNotPublicError) {
        // Which address a name resolved to is the service's network, not the factory's to learn: only the server's log names it.
        refusal = e;
        error = 'refused: the host is, or resolves to, an address that is not public (loopback, private, link-local, reserved)';
        errorKind = 'address_not_public';
      } else if (e.name === 'TimeoutError') [error, errorKind] = [`no answer within ${this.deps.timeoutMs} ms`, 'timeout'];
      else [error, errorKind] = [`could not connect: ${e.message.slice(0, 200)}`, 'connect_failed'];
    }
    return { url: target.url, attemptedAt, statusCode, error, errorKind, durationMs: Date.now() - started, delivered: error === null, refusal };
  }

  /**
   * Where to push and what to sign with, or undefined when the factory has no webhook. A secret sealed under
   * another AUTH_SECRET (the service's was changed: docs/operations.md) cannot be opened: the factory is to rotate
   * its secret. Until it does, the current one refuses with 409 webhook_secret_unreadable (not a 500); once it
   * has, the old one, still in its grace period but unreadable, is left out instead of failing every push for 24 hours.
   */
  async target(tx: Tx, factoryId: string): Promise<WebhookTarget | undefined> {
    const webhook = await tx.findOneBy(FactoryWebhookRow, { factoryId });
    if (!webhook) return undefined;
    const secret = this.opened(webhook.secretSealed);
    if (secret === undefined) throw webhookSecretUnreadable();
    const inGrace = webhook.previousSecretSealed !== null && this.deps.clock.now().getTime() - webhook.secretRotatedAt.getTime() < ROTATION_GRACE_MS;
    const previous = inGrace ? this.opened(webhook.previousSecretSealed!) : undefined;
    return { url: webhook.url, secrets: [secret, ...(previous === undefined ? [] : [previous])] };
  }

  /** The sealed secret in clear, or undefined when this service's key cannot open it (sealed under another AUTH_SECRET). */
  private opened(sealed: string): string | undefined {
    try {
      return this.deps.box.open(sealed);
    } catch {
      return undefined;
    }
  }
}

/** How a route that pushes to the factory's webhook documents its 409s. */
export const WEBHOOK_UNUSABLE =
  '`webhook_not_set`: no webhook is set; `webhook_secret_unreadable`: its secret was sealed under a former AUTH_SECRET (rotate it)';

/** The stored signing secret was sealed under another AUTH_SECRET: nothing can be signed until the factory rotates it. */
function webhookSecretUnreadable(): AppError {
  return new AppError(
    409,
    'webhook_secret_unreadable',
    "The webhook's signing secret can no longer be read (the service's AUTH_SECRET was changed): rotate the secret (POST /v1/factory/webhook/rotate-secret), then push again.",
  );
}

function webhookUrlNotPublic(): AppError {
  const message =
    '不能推送到内部网络地址（本机、私有网段、链路本地等），请填写可从公网访问的地址。The URL is, or resolves to, an address that is not public (loopback, private, link-local, reserved): use an address reachable from the internet.';
  return new AppError(422, 'webhook_url_not_public', message, [{ path: 'body.url', message, reason: 'not_public' }]);
}

/** A push or a test asked of a factory that has set no webhook. */
export function webhookNotSet(): AppError {
  return new AppError(409, 'webhook_not_set', 'The factory has set no webhook URL: there is nowhere to push to.');
}

function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
