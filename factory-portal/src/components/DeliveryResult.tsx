import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Delivery, WebhookTest } from '../api/types';
import { formatDateTime } from '../lib/format';

/**
 * Why a push (or a test) failed, in the reader's language, from the API's `errorKind` and status code: the
 * API's `error` is English, for logs and for the factory's developers, and never reaches a screen.
 */
export function failureText(outcome: Pick<Delivery, 'errorKind' | 'statusCode'>, t: TFunction): string {
  return t(`deliveries.errorKind.${outcome.errorKind ?? 'connect_failed'}`, { status: outcome.statusCode });
}

/** The words of a test's outcome: delivered with its status and time, or why not. */
export function testResultText(result: WebhookTest, t: TFunction): string {
  const time = formatDateTime(result.attemptedAt);
  return result.delivered
    ? t('deliveries.testDelivered', { status: result.statusCode, ms: result.durationMs, time })
    : t('deliveries.testFailed', { reason: failureText(result, t), time });
}

/** One push attempt's result: delivered or failed in words (badge), why, and what comes next (the next automatic retry, or none). */
export function DeliveryResult({ delivery }: { delivery: Delivery }) {
  const { t } = useTranslation();
  return (
    <>
      <span className={`badge ${delivery.delivered ? 'badge-ok' : 'badge-failed'}`}>{delivery.delivered ? t('deliveries.delivered') : t('deliveries.failed')}</span>
      {delivery.delivered && delivery.statusCode !== null && <span className="cell-detail">HTTP {delivery.statusCode}</span>}
      {!delivery.delivered && (
        <span className="cell-detail" data-testid="delivery-error">
          {failureText(delivery, t)}
        </span>
      )}
      {delivery.manual && <span className="cell-detail">{t('deliveries.manual')}</span>}
    </>
  );
}

/** What comes after an attempt: the next automatic retry, or that none will come; nothing for a delivered batch. */
export function DeliveryNext({ delivery }: { delivery: Delivery }) {
  const { t } = useTranslation();
  if (delivery.nextAttemptAt) return <span data-testid="next-attempt">{t('deliveries.nextAttemptAt', { time: formatDateTime(delivery.nextAttemptAt) })}</span>;
  if (delivery.gaveUpAt) return <span data-testid="gave-up">{t('deliveries.gaveUpAt', { time: formatDateTime(delivery.gaveUpAt) })}</span>;
  return null;
}
