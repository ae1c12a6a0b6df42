import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useBatches, useDeliveries, usePushBatch, useRedeliver, useRotateSecret, useSendTest, useSetWebhookUrl, useWebhook } from '../api/queries';
import type { Delivery, Webhook } from '../api/types';
import { DeliveryNext, DeliveryResult, failureText, testResultText } from '../components/DeliveryResult';
import { PagedTable } from '../components/PagedTable';
import { ActionError, QueryView, fieldErrorText } from '../components/StateViews';
import { useLanguage } from '../i18n';
import { formatDateTime, formatNumber } from '../lib/format';

export function Deliveries() {
  const { t } = useTranslation();
  const webhook = useWebhook();
  return (
    <>
      <h1>{t('deliveries.title')}</h1>
      <p className="muted">{t('deliveries.intro')}</p>
      <section aria-labelledby="webhook-heading">
        <h2 id="webhook-heading">{t('deliveries.settings')}</h2>
        <QueryView query={webhook}>{(current) => <WebhookSettings current={current} />}</QueryView>
      </section>
      <DeliveryLog />
    </>
  );
}

function WebhookSettings({ current }: { current: Webhook | null }) {
  const { t } = useTranslation();
  const save = useSetWebhookUrl();
  const rotate = useRotateSecret();
  const [url, setUrl] = useState(current?.url ?? '');
  const [confirming, setConfirming] = useState(false);
  // A secret is shown once, from the answer that made it; it is gone on the next visit.
  const [secret, setSecret] = useState<string | null>(null);
  const urlFieldError = save.error instanceof ApiError ? save.error.fieldErrors.find((e) => e.path === 'body.url') : undefined;
  const urlError = urlFieldError && fieldErrorText(urlFieldError, t);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSecret(null);
    save.mutate(url.trim(), { onSuccess: (answer) => setSecret(answer.secret ?? null) });
  };

  return (
    <>
      <p data-testid="webhook-state">
        {current ? t('deliveries.current', { url: current.url, time: formatDateTime(current.secretRotatedAt) }) : t('deliveries.none')}
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="webhook-url">{t('deliveries.url')}</label>
          <input
            id="webhook-url"
            type="url"
            inputMode="url"
            placeholder="https://erp.example.com/c2m/forecasts"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-invalid={urlError !== undefined}
            aria-describedby={urlError ? 'webhook-url-error' : 'webhook-url-hint'}
          />
          <p className="hint" id="webhook-url-hint">
            {t('deliveries.urlHint')}
          </p>
          {urlError && (
            <p className="field-error" id="webhook-url-error">
              {urlError}
            </p>
          )}
        </div>
        <button type="submit" className="primary" disabled={save.isPending}>
          {t('deliveries.save')}
        </button>
      </form>
      {save.isError && !urlError && <ActionError error={save.error} />}
      {save.isSuccess && (
        <div className="notice" role="status" data-testid="webhook-saved">
          {!secret && <p>{t('deliveries.saved')}</p>}
          <PushCurrentBatch key={save.submittedAt} />
        </div>
      )}
      {current && <SendTest />}

      {current && (
        <div className="rotate">
          {confirming ? (
            <div role="group" aria-label={t('deliveries.rotate')}>
              <p>{t('deliveries.rotateConfirm')}</p>
              <button
                type="button"
                className="primary"
                disabled={rotate.isPending}
                onClick={() =>
                  rotate.mutate(undefined, {
                    onSuccess: (answer) => {
                      setSecret(answer.secret ?? null);
                      setConfirming(false);
                    },
                  })
                }
              >
                {t('deliveries.rotateYes')}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </button>
            </div>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              {t('deliveries.rotate')}
            </button>
          )}
          {rotate.isError && <ActionError error={rotate.error} />}
        </div>
      )}

      {secret && (
        <div className="secret" role="status">
          <p>{t('deliveries.secretOnce')}</p>
          <code data-testid="webhook-secret">{secret}</code>
        </div>
      )}
    </>
  );
}

/** After a URL is saved: the offer to push the newest batch there at once, rather than at the next version. */
function PushCurrentBatch() {
  const { t } = useTranslation();
  const batches = useBatches(0);
  const push = usePushBatch();
  const newest = batches.data?.items[0];
  if (!newest) return null;
  const version = newest.version;
  if (push.isSuccess)
    return (
      <p data-testid="push-result">
        {push.data.delivered
          ? t('deliveries.pushed', { version, status: push.data.statusCode })
          : t('deliveries.pushFailed', { version, reason: failureText(push.data, t) })}
      </p>
    );
  return (
    <p>
      {t('deliveries.pushNowOffer', { version })}{' '}
      <button type="button" className="primary" disabled={push.isPending} onClick={() => push.mutate(newest.id)}>
        {push.isPending ? t('deliveries.redelivering') : t('deliveries.pushNow', { version })}
      </button>
      {push.isError && <ActionError error={push.error} />}
    </p>
  );
}

/** "Send test": a signed test event now, and what the receiver answered (code or error, and when). */
function SendTest() {
  const { t } = useTranslation();
  const test = useSendTest();
  return (
    <div className="send-test">
      <button type="button" disabled={test.isPending} onClick={() => test.mutate()}>
        {test.isPending ? t('deliveries.sendingTest') : t('deliveries.sendTest')}
      </button>
      {test.isSuccess && (
        <p className={test.data.delivered ? 'notice' : 'field-error'} role="status" data-testid="test-result">
          {testResultText(test.data, t)}
        </p>
      )}
      {test.isError && <ActionError error={test.error} />}
    </div>
  );
}

/** Redeliver a failed attempt's batch now; the outcome is said where the button was, and the log shows the new attempt. */
function Redeliver({ delivery }: { delivery: Delivery }) {
  const { t } = useTranslation();
  const redeliver = useRedeliver();
  const version = delivery.version;
  return (
    <>
      <button type="button" disabled={redeliver.isPending} onClick={() => redeliver.mutate(delivery.id)}>
        {redeliver.isPending ? t('deliveries.redelivering') : t('deliveries.redeliver')}
      </button>
      {redeliver.isSuccess && (
        <span className="cell-detail" role="status">
          {redeliver.data.delivered
            ? t('deliveries.redelivered', { version, status: redeliver.data.statusCode })
            : t('deliveries.redeliverFailed', { version, reason: failureText(redeliver.data, t) })}
        </span>
      )}
      {redeliver.isError && <ActionError error={redeliver.error} />}
    </>
  );
}

function DeliveryLog() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const deliveries = useDeliveries(offset);
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">{t('deliveries.log')}</h2>
      <PagedTable
        query={deliveries}
        empty={t('deliveries.empty')}
        labelledBy="log-heading"
        testId="delivery-log"
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('deliveries.attemptedAt')}</th>
            <th scope="col">{t('batches.version')}</th>
            <th scope="col" className="num">{t('deliveries.attempt')}</th>
            <th scope="col">{t('deliveries.result')}</th>
            <th scope="col">{t('deliveries.next')}</th>
            <th scope="col" className="num">{t('deliveries.duration')}</th>
            <th scope="col">{t('deliveries.url')}</th>
          </>
        }
        row={(d) => (
          <tr data-testid="delivery-row">
            <td>{formatDateTime(d.attemptedAt)}</td>
            <td>{t('batches.versionLabel', { version: d.version })}</td>
            <td className="num">{formatNumber(d.attempt, language)}</td>
            <td>
              <DeliveryResult delivery={d} />
            </td>
            <td>
              <DeliveryNext delivery={d} />
              {(d.nextAttemptAt !== null || d.gaveUpAt !== null) && <Redeliver delivery={d} />}
            </td>
            <td className="num">{formatNumber(d.durationMs, language)}</td>
            <td className="url">{d.url}</td>
          </tr>
        )}
      />
    </section>
  );
}
