import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { useDeliveries, useRotateSecret, useSetWebhookUrl, useWebhook } from '../api/queries';
import type { Webhook } from '../api/types';
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
      {save.isSuccess && !secret && (
        <p className="notice" role="status">
          {t('deliveries.saved')}
        </p>
      )}

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
              <span className={`badge ${d.delivered ? 'badge-ok' : 'badge-failed'}`}>{d.delivered ? t('deliveries.delivered') : t('deliveries.failed')}</span>
              {d.statusCode !== null && <span className="cell-detail">HTTP {d.statusCode}</span>}
              {d.error && <span className="cell-detail">{d.error}</span>}
            </td>
            <td className="num">{formatNumber(d.durationMs, language)}</td>
            <td className="url">{d.url}</td>
          </tr>
        )}
      />
    </section>
  );
}
