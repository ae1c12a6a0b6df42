import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { Delivery, User } from '../../api/types';
import { DeliveryNext, DeliveryResult, failureText, testResultText } from '../../components/DeliveryResult';
import { PagedTable } from '../../components/PagedTable';
import { ActionError, Empty, QueryView } from '../../components/StateViews';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatNumber } from '../../lib/format';
import { Field, hasFieldErrors } from '../../components/Field';
import { ReasonForm } from '../../components/ReasonForm';
import {
  type ApiKey,
  type IssuedApiKey,
  useAddUser,
  useApiKeys,
  useFactory,
  useFactoryDeliveries,
  useFactoryUsers,
  useFactoryWebhook,
  useIssueKey,
  useRedeliver,
  useRevokeKey,
  useSendTest,
  useSetUserDisabled,
} from './queries';

/** One factory or orchard (/console/factories/:id): its portal users, API keys, webhook and failing deliveries. */
export function FactoryPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const factory = useFactory(id);
  return (
    <>
      <p className="breadcrumb">
        <Link to="/console/factories">{t('console.factories.back')}</Link>
      </p>
      <QueryView query={factory}>
        {(f) => (
          <>
            <h1>
              {f.name} <span className="badge">{t(`console.factories.kinds.${f.kind}`)}</span>
            </h1>
            <p className="muted">
              {t('console.factories.contact', { email: f.contactEmail })} · {t('console.factories.since', { time: formatDateTime(f.createdAt) })}
            </p>
            <Users factoryId={f.id} />
            <ApiKeys factoryId={f.id} />
            <Webhook factoryId={f.id} />
            <FailingDeliveries factoryId={f.id} />
            <DeliveryLog factoryId={f.id} />
          </>
        )}
      </QueryView>
    </>
  );
}

function Users({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const users = useFactoryUsers(factoryId);
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">{t('console.factories.usersSection.heading')}</h2>
      <QueryView query={users}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>{t('console.factories.usersSection.empty')}</Empty>
          ) : (
            <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="users-heading">
              <table data-testid="users">
                <thead>
                  <tr>
                    <th scope="col">{t('console.factories.usersSection.displayName')}</th>
                    <th scope="col">{t('console.factories.usersSection.email')}</th>
                    <th scope="col">{t('console.factories.usersSection.status')}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t('console.factories.usersSection.disable')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((user) => (
                    <UserRow key={user.id} factoryId={factoryId} user={user} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      <AddUser factoryId={factoryId} />
    </section>
  );
}

/** A portal user: disabling asks why (the audit log keeps it); enabling again is one click. */
function UserRow({ factoryId, user }: { factoryId: string; user: User }) {
  const { t } = useTranslation();
  const change = useSetUserDisabled(factoryId);
  const [asking, setAsking] = useState(false);
  return (
    <tr data-testid="user-row">
      <td>{user.displayName}</td>
      <td>{user.email}</td>
      <td>
        {user.disabledAt ? (
          <span className="badge badge-failed">{t('console.factories.usersSection.disabled', { time: formatDateTime(user.disabledAt) })}</span>
        ) : (
          <span className="badge badge-ok">{t('console.factories.usersSection.active')}</span>
        )}
      </td>
      <td>
        {user.disabledAt ? (
          <button type="button" disabled={change.isPending} onClick={() => change.mutate({ userId: user.id, disabled: false, reason: '' })}>
            {t('console.factories.usersSection.enable')}
          </button>
        ) : asking ? (
          <ReasonForm
            id={`disable-reason-${user.id}`}
            label={t('console.factories.usersSection.reason')}
            hint={t('console.factories.usersSection.reasonHint')}
            error={change.error}
            pending={change.isPending}
            confirmLabel={t('console.factories.usersSection.confirmDisable')}
            backLabel={t('common.cancel')}
            onConfirm={(reason) => change.mutate({ userId: user.id, disabled: true, reason }, { onSuccess: () => setAsking(false) })}
            onBack={() => setAsking(false)}
          />
        ) : (
          <button type="button" onClick={() => setAsking(true)}>
            {t('console.factories.usersSection.disable')}
          </button>
        )}
        {change.isError && !hasFieldErrors(change.error) && <ActionError error={change.error} />}
      </td>
    </tr>
  );
}

function AddUser({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const add = useAddUser(factoryId);
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(
      { email: email.trim(), password, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) },
      {
        onSuccess: () => {
          setEmail('');
          setDisplayName('');
          setPassword('');
        },
      },
    );
  };
  return (
    <>
      <h3>{t('console.factories.usersSection.add')}</h3>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field id="user-email" label={t('console.factories.usersSection.email')} error={add.error} path="body.email">
          <input type="email" inputMode="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field id="user-name" label={t('console.factories.usersSection.displayName')} error={add.error} path="body.displayName">
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </Field>
        <Field
          id="user-password"
          label={t('console.factories.usersSection.password')}
          hint={t('console.factories.usersSection.passwordHint')}
          error={add.error}
          path="body.password"
        >
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? t('console.factories.usersSection.adding') : t('console.factories.usersSection.add')}
        </button>
      </form>
      {add.isError && !hasFieldErrors(add.error) && <ActionError error={add.error} />}
      {add.isSuccess && (
        <p className="notice" role="status">
          {t('console.factories.usersSection.added', { email: add.data.email })}
        </p>
      )}
    </>
  );
}

function ApiKeys({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const keys = useApiKeys(factoryId);
  return (
    <section aria-labelledby="keys-heading">
      <h2 id="keys-heading">{t('console.factories.keysSection.heading')}</h2>
      <QueryView query={keys}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>{t('console.factories.keysSection.empty')}</Empty>
          ) : (
            <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="keys-heading">
              <table data-testid="api-keys">
                <thead>
                  <tr>
                    <th scope="col">{t('console.factories.keysSection.name')}</th>
                    <th scope="col">{t('console.factories.keysSection.createdAt')}</th>
                    <th scope="col">{t('console.factories.keysSection.status')}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t('console.factories.keysSection.revoke')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((key) => (
                    <KeyRow key={key.id} factoryId={factoryId} apiKey={key} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      <IssueKey factoryId={factoryId} />
    </section>
  );
}

function KeyRow({ factoryId, apiKey }: { factoryId: string; apiKey: ApiKey }) {
  const { t } = useTranslation();
  const revoke = useRevokeKey(factoryId);
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-testid="key-row">
      <td>{apiKey.name}</td>
      <td>{formatDateTime(apiKey.createdAt)}</td>
      <td>
        {apiKey.revokedAt ? (
          <span className="badge badge-failed">{t('console.factories.keysSection.revoked', { time: formatDateTime(apiKey.revokedAt) })}</span>
        ) : (
          <span className="badge badge-ok">{t('console.factories.keysSection.active')}</span>
        )}
      </td>
      <td>
        {!apiKey.revokedAt &&
          (confirming ? (
            <div role="group" aria-label={t('console.factories.keysSection.revoke')}>
              <p>{t('console.factories.keysSection.confirmRevoke', { name: apiKey.name })}</p>
              <button type="button" className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(apiKey.id)}>
                {t('console.factories.keysSection.confirmRevokeYes')}
              </button>{' '}
              <button type="button" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </button>
            </div>
          ) : (
            <button type="button" onClick={() => setConfirming(true)}>
              {t('console.factories.keysSection.revoke')}
            </button>
          ))}
        {revoke.isError && <ActionError error={revoke.error} />}
      </td>
    </tr>
  );
}

/** Issues a key: its secret is shown once, from the answer that made it, with a copy button; it is gone on the next visit. */
function IssueKey({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const issue = useIssueKey(factoryId);
  const [name, setName] = useState('');
  const [issued, setIssued] = useState<IssuedApiKey | null>(null);
  const [copied, setCopied] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setIssued(null);
    setCopied(false);
    issue.mutate(name, {
      onSuccess: (key) => {
        setIssued(key);
        setName('');
      },
    });
  };
  const copy = async () => {
    if (!issued) return;
    await navigator.clipboard.writeText(issued.apiKey);
    setCopied(true);
  };
  return (
    <>
      <h3>{t('console.factories.keysSection.issue')}</h3>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field id="key-name" label={t('console.factories.keysSection.keyName')} error={issue.error} path="body.name">
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <button type="submit" className="primary" disabled={issue.isPending}>
          {issue.isPending ? t('console.factories.keysSection.issuing') : t('console.factories.keysSection.issue')}
        </button>
      </form>
      {issue.isError && !hasFieldErrors(issue.error) && <ActionError error={issue.error} />}
      {issued && (
        <div className="secret" role="status">
          <p>{t('console.factories.keysSection.secretOnce', { name: issued.name })}</p>
          <code data-testid="api-key-secret">{issued.apiKey}</code>
          <button type="button" onClick={() => void copy()}>
            {copied ? t('console.factories.keysSection.copied') : t('console.factories.keysSection.copy')}
          </button>
        </div>
      )}
    </>
  );
}

/** The factory's webhook: where it pushes, and "send test" with what the receiver answered. */
function Webhook({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const webhook = useFactoryWebhook(factoryId);
  const test = useSendTest(factoryId);
  return (
    <section aria-labelledby="webhook-heading">
      <h2 id="webhook-heading">{t('console.factories.webhookSection.heading')}</h2>
      <QueryView query={webhook}>
        {(current) =>
          current ? (
            <>
              <p data-testid="webhook-url">
                {t('console.factories.webhookSection.url', { url: current.url })} ·{' '}
                {t('console.factories.webhookSection.secretRotatedAt', { time: formatDateTime(current.secretRotatedAt) })}
              </p>
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
            </>
          ) : (
            <Empty>{t('console.factories.webhookSection.none')}</Empty>
          )
        }
      </QueryView>
    </section>
  );
}

/** Each failing batch's newest attempt: its error, the next automatic retry (or none), and "redeliver". */
function FailingDeliveries({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const failing = useFactoryDeliveries(factoryId, offset, true);
  return (
    <section aria-labelledby="failing-heading">
      <h2 id="failing-heading">{t('console.factories.failingSection.heading')}</h2>
      <p className="muted">{t('console.factories.failingSection.intro')}</p>
      <PagedTable
        query={failing}
        empty={t('console.factories.failingSection.empty')}
        labelledBy="failing-heading"
        testId="failing-deliveries"
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('batches.version')}</th>
            <th scope="col" className="num">
              {t('console.factories.failingSection.attempts')}
            </th>
            <th scope="col">{t('console.factories.failingSection.lastAttempt')}</th>
            <th scope="col">{t('console.factories.failingSection.lastError')}</th>
            <th scope="col">{t('deliveries.next')}</th>
          </>
        }
        row={(d) => (
          <tr data-testid="failing-row">
            <td>{t('batches.versionLabel', { version: d.version })}</td>
            <td className="num">{formatNumber(d.attempt, language)}</td>
            <td>{formatDateTime(d.attemptedAt)}</td>
            <td data-testid="last-error">{failureText(d, t)}</td>
            <td>
              <DeliveryNext delivery={d} />
              <Redeliver factoryId={factoryId} delivery={d} />
            </td>
          </tr>
        )}
      />
    </section>
  );
}

function Redeliver({ factoryId, delivery }: { factoryId: string; delivery: Delivery }) {
  const { t } = useTranslation();
  const redeliver = useRedeliver(factoryId);
  const version = delivery.version;
  return (
    <div>
      <button type="button" disabled={redeliver.isPending} onClick={() => redeliver.mutate(delivery.id)}>
        {redeliver.isPending ? t('deliveries.redelivering') : t('deliveries.redeliver')}
      </button>
      {redeliver.isSuccess && !redeliver.data.delivered && (
        <p className="field-error" role="status">
          {t('deliveries.redeliverFailed', { version, reason: failureText(redeliver.data, t) })}
        </p>
      )}
      {redeliver.isError && <ActionError error={redeliver.error} />}
    </div>
  );
}

function DeliveryLog({ factoryId }: { factoryId: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const deliveries = useFactoryDeliveries(factoryId, offset, false);
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">{t('console.factories.logSection.heading')}</h2>
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
            <th scope="col" className="num">
              {t('deliveries.attempt')}
            </th>
            <th scope="col">{t('deliveries.result')}</th>
            <th scope="col">{t('deliveries.next')}</th>
            <th scope="col" className="num">
              {t('deliveries.duration')}
            </th>
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
            </td>
            <td className="num">{formatNumber(d.durationMs, language)}</td>
          </tr>
        )}
      />
    </section>
  );
}
