import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { PagedTable } from '../../components/PagedTable';
import { ActionError } from '../../components/StateViews';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { Field, hasFieldErrors } from '../../components/Field';
import { type FactoryKind, type FactorySummary, useFactorySummaries, useOnboard } from './queries';

/** 工厂与果园 (/console/factories): every factory and orchard with its users, keys and webhook health; onboarding. */
export function FactoriesPage() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const factories = useFactorySummaries(offset);
  return (
    <>
      <h1>{t('console.factories.title')}</h1>
      <p className="muted">{t('console.factories.intro')}</p>
      <section aria-labelledby="factories-heading">
        <h2 id="factories-heading">{t('console.factories.list')}</h2>
        <PagedTable
          query={factories}
          empty={t('console.factories.empty')}
          labelledBy="factories-heading"
          testId="factories"
          onOffset={setOffset}
          head={
            <>
              <th scope="col">{t('console.factories.name')}</th>
              <th scope="col">{t('console.factories.kind')}</th>
              <th scope="col">{t('console.factories.users')}</th>
              <th scope="col">{t('console.factories.keys')}</th>
              <th scope="col">{t('console.factories.webhook')}</th>
              <th scope="col">{t('console.factories.createdAt')}</th>
            </>
          }
          row={(f) => (
            <tr data-testid="factory-row">
              <th scope="row">
                <Link to={`/console/factories/${f.id}`}>{f.name}</Link>
              </th>
              <td>{t(`console.factories.kinds.${f.kind}`)}</td>
              <td>{t('console.factories.usersCount', { active: formatNumber(f.users.active, language), total: formatNumber(f.users.total, language) })}</td>
              <td>{t('console.factories.keysCount', { count: f.activeApiKeys })}</td>
              <td data-testid="webhook-health">
                <WebhookHealth factory={f} />
              </td>
              <td>{formatDateTime(f.createdAt)}</td>
            </tr>
          )}
        />
      </section>
      <Onboard />
    </>
  );
}

/** A factory's webhook at a glance: healthy or how many batches fail, the last push, the next retry (or none). */
function WebhookHealth({ factory }: { factory: FactorySummary }) {
  const { t } = useTranslation();
  const webhook = factory.webhook;
  if (!webhook) return <span className="muted">{t('console.factories.noWebhook')}</span>;
  const failing = webhook.failingBatches > 0;
  return (
    <>
      {webhook.lastAttemptAt === null ? (
        <span className="badge">{t('console.factories.health.none')}</span>
      ) : (
        <span className={`badge ${failing ? 'badge-failed' : 'badge-ok'}`}>
          {failing ? t('console.factories.health.failing', { count: webhook.failingBatches }) : t('console.factories.health.ok')}
        </span>
      )}
      {webhook.lastAttemptAt && <span className="cell-detail">{t('console.factories.health.lastAttempt', { time: formatDateTime(webhook.lastAttemptAt) })}</span>}
      {webhook.nextAttemptAt && <span className="cell-detail">{t('console.factories.health.nextAttempt', { time: formatDateTime(webhook.nextAttemptAt) })}</span>}
      {failing && webhook.retryingBatches === 0 && <span className="cell-detail">{t('console.factories.health.noRetry')}</span>}
    </>
  );
}

/** Onboarding: name, kind and contact; the new factory's page next, to add its users and keys. */
function Onboard() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const onboard = useOnboard();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<FactoryKind>('manufacturer');
  const [contactEmail, setContactEmail] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onboard.mutate({ name, kind, contactEmail: contactEmail.trim() }, { onSuccess: (factory) => void navigate(`/console/factories/${factory.id}`) });
  };
  return (
    <section aria-labelledby="onboard-heading">
      <h2 id="onboard-heading">{t('console.factories.onboard.heading')}</h2>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field id="onboard-name" label={t('console.factories.onboard.name')} error={onboard.error} path="body.name">
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="onboard-kind" label={t('console.factories.onboard.kind')} error={onboard.error} path="body.kind">
          <select value={kind} onChange={(e) => setKind(e.target.value as FactoryKind)}>
            <option value="manufacturer">{t('console.factories.kinds.manufacturer')}</option>
            <option value="orchard">{t('console.factories.kinds.orchard')}</option>
          </select>
        </Field>
        <Field id="onboard-email" label={t('console.factories.onboard.contactEmail')} error={onboard.error} path="body.contactEmail">
          <input type="email" inputMode="email" value={contactEmail} onChange={(e) => setContactEmail(e.target.value)} />
        </Field>
        <button type="submit" className="primary" disabled={onboard.isPending}>
          {onboard.isPending ? t('console.factories.onboard.submitting') : t('console.factories.onboard.submit')}
        </button>
      </form>
      {onboard.isError && !hasFieldErrors(onboard.error) && <ActionError error={onboard.error} />}
    </section>
  );
}
