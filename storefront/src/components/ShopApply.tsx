import { useId, useState, type FormEvent } from 'react';
import { errorText } from '../api/errors';
import type { ShopApplication } from '../api/types';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { Message } from './ui';

/**
 * 成为店主 in 我的 (docs/shop-owners.md): a consumer who is not a shop owner applies with their name, phone and
 * WeChat id (POST /v1/shop-applications: free, no purchase); a pending application says it waits for an
 * operator, a refused one shows the reason and the form again. An approved shop owner never sees this.
 */
export function ShopApply({ application, onApplied }: { application: ShopApplication | null; onApplied(application: ShopApplication): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const id = useId();
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [wechatId, setWechatId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  /** A field changed: the last error no longer applies. */
  function edit(set: (value: string) => void, value: string) {
    set(value);
    setError(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!name.trim() || !phone.trim() || !wechatId.trim()) {
      setError(t('shopApply.missing'));
      return;
    }
    setBusy(true);
    try {
      onApplied(await api<ShopApplication>('POST', '/v1/shop-applications', { body: { name: name.trim(), phone: phone.trim(), wechatId: wechatId.trim() } }));
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} data-testid="shop-apply">
      <h2 id={`${id}-title`} className="section-title">
        {t('shopApply.title')}
      </h2>
      {application?.status === 'pending' ? (
        <Message kind="info">{t('shopApply.pending', { name: application.name })}</Message>
      ) : (
        <form className="card" onSubmit={(e) => void submit(e)} noValidate>
          {application?.status === 'refused' && <Message kind="error">{t('shopApply.refused', { reason: application.refusalReason ?? '' })}</Message>}
          <p className="hint">{t('shopApply.hint')}</p>
          <label className="field" htmlFor={`${id}-name`}>
            <span>{t('shopApply.name')}</span>
            <input id={`${id}-name`} value={name} maxLength={64} onChange={(e) => edit(setName, e.target.value)} />
          </label>
          <label className="field" htmlFor={`${id}-phone`}>
            <span>{t('shopApply.phone')}</span>
            <input id={`${id}-phone`} type="tel" inputMode="numeric" autoComplete="tel" value={phone} onChange={(e) => edit(setPhone, e.target.value)} />
          </label>
          <label className="field" htmlFor={`${id}-wechat`}>
            <span>{t('shopApply.wechatId')}</span>
            <input id={`${id}-wechat`} value={wechatId} maxLength={64} onChange={(e) => edit(setWechatId, e.target.value)} />
          </label>
          {error && <Message kind="error">{error}</Message>}
          <button type="submit" className="button primary wide" disabled={busy}>
            {t('shopApply.submit')}
          </button>
        </form>
      )}
    </section>
  );
}
