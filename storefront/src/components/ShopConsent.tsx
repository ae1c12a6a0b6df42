import { useState } from 'react';
import { errorText } from '../api/errors';
import type { ShopBinding, ShopConsent } from '../api/types';
import { useI18n } from '../i18n';
import { useResource } from '../lib/resource';
import { useSession } from '../session';
import { Message } from './ui';

/**
 * The consent switches of 我的店主 (docs/shop-owners.md § Privacy): for the shop owner the buyer is bound to,
 * and for every other shop owner they still let see their phone number (so a consent outlives no binding
 * unseen), a switch that shares the number with that shop owner. Off until the buyer turns it on; turning it
 * off masks the number again at once. Nothing to show: nothing rendered. With a `heading`: a section of its own under it.
 */
export function PhoneConsents({ bound, heading }: { bound: ShopBinding | null; heading?: string }) {
  const { api } = useSession();
  const consents = useResource<ShopConsent[]>('/v1/me/shop-consents', async (signal) => (await api<{ items: ShopConsent[] }>('GET', '/v1/me/shop-consents', { signal })).items);
  if (consents.data === undefined) return null;
  const shops = [...(bound ? [{ code: bound.code, name: bound.name }] : []), ...consents.data.filter((c) => c.code !== bound?.code && c.share)];
  if (shops.length === 0) return null;
  const list = (
    <ul className="list" data-testid="phone-consents">
      {shops.map((shop) => (
        <li key={shop.code} className="card">
          <ConsentSwitch
            code={shop.code}
            name={shop.name}
            share={consents.data?.find((c) => c.code === shop.code)?.share ?? false}
            onChanged={(consent) => consents.set([consent, ...(consents.data ?? []).filter((c) => c.code !== consent.code)])}
          />
        </li>
      ))}
    </ul>
  );
  if (heading === undefined) return list;
  return (
    <section aria-labelledby="phone-consents-title">
      <h2 id="phone-consents-title" className="section-title">
        {heading}
      </h2>
      {list}
    </section>
  );
}

function ConsentSwitch({ code, name, share, onChanged }: { code: string; name: string; share: boolean; onChanged(consent: ShopConsent): void }) {
  const { t } = useI18n();
  const { api } = useSession();
  // The switch moves at once; it goes back (with the reason) if the change was not recorded.
  const [pending, setPending] = useState<boolean | null>(null);
  const [error, setError] = useState<unknown>(null);
  const shown = pending ?? share;
  const busy = pending !== null;
  const change = async (next: boolean) => {
    setPending(next);
    setError(null);
    try {
      onChanged(await api<ShopConsent>('PUT', `/v1/me/shop-consents/${encodeURIComponent(code)}`, { body: { share: next } }));
    } catch (e) {
      setError(e);
    } finally {
      setPending(null);
    }
  };
  return (
    <>
      <label className="check consent">
        <input type="checkbox" role="switch" checked={shown} disabled={busy} aria-busy={busy} data-testid="phone-consent" onChange={(e) => void change(e.target.checked)} />
        <span>{t('privacy.consent', { name })}</span>
      </label>
      <p className="hint" data-testid="phone-consent-state">
        {shown ? t('privacy.consentOn') : t('privacy.consentOff')}
      </p>
      {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
    </>
  );
}
