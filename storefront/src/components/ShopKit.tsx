import { useState } from 'react';
import type { Campaign, MyCommission, Quote } from '../api/types';
import { useI18n, type Translate, type Language } from '../i18n';
import { dateTime, yuan } from '../lib/format';
import { useResource } from '../lib/resource';
import { copyText } from '../lib/share-links';
import { useSession } from '../session';
import { Message, Sheet } from './ui';

/**
 * 店主分享: an approved shop owner's own link to this campaign (with their code), its QR code, the poster
 * carrying it (to save), and a suggested text; one tap copies. Nothing here speaks of a reward for sharing
 * (none is paid for it: docs/shop-owners.md).
 */
export default function ShopKit({ campaign, code }: { campaign: Campaign; code: string }) {
  const { t, language } = useI18n();
  const { api } = useSession();
  const [copied, setCopied] = useState<'link' | 'text' | null>(null);
  const [byHand, setByHand] = useState<string | null>(null);
  const [poster, setPoster] = useState(false);
  const id = encodeURIComponent(campaign.id);
  const link = `${location.origin}/c/${id}?s=${code}`;
  const posterUrl = `/c/${id}/poster.png?s=${code}`;
  // The deposit deal as the server quotes it for one unit (money is never worked out here).
  const first = Object.fromEntries(campaign.options.map((o) => [o.name, o.values[0]]));
  const quote = useResource<Quote>(`quote:${campaign.id}:kit`, (signal) =>
    api('POST', `/v1/campaigns/${id}/quote`, { body: { variant: first, quantity: 1 }, signal }),
  );
  const text = suggestedText(campaign, quote.data, link, t, language);
  // What the shop owner's own rate on this campaign (with their level's bonus) comes to on today's price, if a rate is set.
  const commission = useResource<MyCommission>('/v1/me/shop/commission', (signal) => api('GET', '/v1/me/shop/commission', { signal }));
  const rate = commission.data?.rates.find((r) => r.subject === 'campaign' && r.subjectId === campaign.id)?.rate;
  const earn = rate ? perUnit(campaign, rate) : null;

  async function copy(what: 'link' | 'text', value: string) {
    setCopied(null);
    setByHand(null);
    if (await copyText(value)) setCopied(what);
    else setByHand(value);
  }

  return (
    <section className="card" aria-labelledby="kit-title" data-testid="shop-kit">
      <h2 id="kit-title">{t('shopKit.title')}</h2>
      <p className="hint">{t('shopKit.hint')}</p>
      {earn && (
        <p className="price" data-testid="kit-earn">
          {t('shopKit.earn', { amount: yuan(earn) })}
        </p>
      )}
      <label htmlFor="kit-link">{t('shopKit.link')}</label>
      <input id="kit-link" className="kit-field" readOnly value={link} data-testid="kit-link" onFocus={(e) => e.currentTarget.select()} />
      <label htmlFor="kit-text">{t('shopKit.text')}</label>
      <textarea id="kit-text" className="kit-field" readOnly rows={6} value={text} data-testid="kit-text" onFocus={(e) => e.currentTarget.select()} />
      <div className="actions">
        <button type="button" className="button secondary" onClick={() => void copy('link', link)}>
          {t('shopKit.copyLink')}
        </button>
        <button type="button" className="button secondary" onClick={() => void copy('text', text)}>
          {t('shopKit.copyText')}
        </button>
        <button type="button" className="button secondary" onClick={() => setPoster(true)}>
          {t('shopKit.poster')}
        </button>
        <a className="button secondary" href={posterUrl} download={`poster-${campaign.id}.png`} data-testid="kit-poster-download">
          {t('shopKit.savePoster')}
        </a>
      </div>
      {copied && (
        <Message kind="success">
          <span data-testid="kit-copied">{t('shopKit.copied')}</span>
        </Message>
      )}
      {byHand !== null && (
        <Message kind="info">
          {t('shopKit.copyByHand')}{' '}
          <textarea className="kit-field" readOnly value={byHand} aria-label={t('shopKit.text')} onFocus={(e) => e.currentTarget.select()} />
        </Message>
      )}
      <img className="kit-qr" src={`/c/${id}/qr.svg?s=${code}`} alt={t('shopKit.qrAlt', { title: campaign.title })} width={160} height={160} loading="lazy" />
      <Sheet open={poster} onClose={() => setPoster(false)} title={t('shopKit.poster')}>
        {poster && <img className="poster" src={posterUrl} alt={t('shopKit.posterAlt', { title: campaign.title })} width={750} height={1334} />}
        <p className="hint center">{t('shopKit.posterHint')}</p>
      </Sheet>
    </section>
  );
}

/**
 * About what one unit earns at the price now (the tier reached, else the first tier): rate × price, to the
 * fen, in integers. An estimate for the shop owner only ("约"): the commission itself is worked out by the
 * server on the final price. null when it comes to nothing.
 */
function perUnit(c: Campaign, rate: string): string | null {
  const price = c.finalUnitPrice ?? c.progress.currentTier?.unitPrice ?? c.tiers[0]?.unitPrice;
  if (!price) return null;
  const [whole, fraction = ''] = rate.split('.');
  const scale = 10 ** fraction.length;
  const rateUnits = Number(whole) * scale + Number(fraction || '0');
  const fen = Math.round((Math.round(Number(price) * 100) * rateUnits) / scale);
  return fen > 0 ? (fen / 100).toFixed(2) : null;
}

/** The text a shop owner pastes into a group: title, price, the cheapest tier still ahead, the deposit deal, the deadline, the link. */
function suggestedText(c: Campaign, q: Quote | undefined, link: string, t: Translate, language: Language): string {
  const now = c.finalUnitPrice ?? c.progress.currentTier?.unitPrice ?? null;
  const first = c.tiers[0]?.unitPrice;
  const lowest = c.tiers[c.tiers.length - 1]?.unitPrice;
  const live = c.status === 'open' || c.status === 'scheduled';
  const lines = [
    `【${c.title}】`,
    now
      ? t('shopKit.textPriceNow', { price: yuan(now), reference: yuan(c.referencePrice) })
      : t('shopKit.textPriceFrom', { price: yuan(first), reference: yuan(c.referencePrice) }),
    live && lowest && lowest !== (now ?? first) ? t('shopKit.textLowest', { price: yuan(lowest) }) : null,
    q
      ? q.depositCredit !== q.deposit
        ? t('shopKit.textDeposit', { deposit: yuan(q.deposit), credit: yuan(q.depositCredit) })
        : t('shopKit.textDepositPlain', { deposit: yuan(q.deposit) })
      : t('shopKit.textDepositPlain', { deposit: yuan(c.depositPerUnit) }),
    live ? t('shopKit.textEnds', { time: dateTime(c.closesAt, language) }) : null,
    t('shopKit.textJoin', { link }),
  ];
  return lines.filter((line): line is string => line !== null).join('\n');
}
