import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { ApiError, newIdempotencyKey } from '../api/client';
import { errorText } from '../api/errors';
import type { Campaign, Pledge, Quote, ShopApplication, WechatConfig } from '../api/types';
import { ErrorView, Loading, Message, Sheet } from '../components/ui';
import { useI18n } from '../i18n';
import { countdown, dateTime, day, number, yuan } from '../lib/format';
import { optionLabel, valueLabel } from '../lib/labels';
import { checkoutPath } from '../lib/pledge';
import { sendBinding } from '../lib/share-links';
import { forget, useNow, useResource } from '../lib/resource';
import { Link, navigate } from '../router';
import { useSession } from '../session';

const loadSignIn = () => import('./SignIn');
const SignInForm = lazy(loadSignIn);
// Only an approved shop owner gets the share kit: a chunk of its own, never in a buyer's first load.
const ShopKit = lazy(() => import('../components/ShopKit'));
const MarkThis = lazy(() => import('../components/MarkThis'));

/** Pledgers and units move while the page is open: asked again this often (the server caches a campaign for ≤ 1 s). */
export const PROGRESS_REFRESH_MS = 5000;

/** The page that gets shared: everything a buyer needs to decide, then pledge without leaving it. */
export function CampaignPage({ id }: { id: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const campaign = useResource<Campaign>(`/v1/campaigns/${id}`, (signal) => api('GET', `/v1/campaigns/${encodeURIComponent(id)}`, { signal }), {
    refreshMs: PROGRESS_REFRESH_MS,
  });
  // The server's first-paint data is already in the cache (main.tsx): shown at once, then refreshed.
  const data = campaign.data;
  useEffect(() => {
    if (data) document.title = `${data.title} · ${t('app.name')}`;
  }, [data, t]);
  if (!data) {
    if (campaign.error instanceof ApiError && campaign.error.status === 404) return <NotFoundCampaign />;
    return campaign.error ? <ErrorView error={campaign.error} retry={() => void campaign.reload()} /> : <Loading />;
  }
  return <CampaignView campaign={data} stale={campaign.error !== null && campaign.error !== undefined} />;
}

function NotFoundCampaign() {
  const { t } = useI18n();
  return (
    <section className="page">
      <h1>{t('campaign.notFound')}</h1>
      <p>
        <Link to="/">{t('common.backHome')}</Link>
      </p>
    </section>
  );
}

function CampaignView({ campaign, stale }: { campaign: Campaign; stale: boolean }) {
  const { t, language } = useI18n();
  const { session, api } = useSession();
  const [variant, setVariant] = useState<Record<string, string>>({});
  const [quantity, setQuantity] = useState(1);
  const [missing, setMissing] = useState<string | null>(null);
  const [signInOpen, setSignInOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [quotedDeposit, setQuotedDeposit] = useState<string | null>(null);
  // One key per attempt: a retry of the same choice after a dropped answer reuses it (the server replays the
  // pledge), a double tap is stopped by `inFlight` before it sends anything, a new choice gets a new key.
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const inFlight = useRef(false);
  const pendingAfterSignIn = useRef(false);

  const open = campaign.status === 'open';
  const limit = Math.max(1, Math.min(campaign.perConsumerLimit ?? 99, campaign.progress.remainingUnits ?? 99, 99));
  const complete = campaign.options.every((o) => variant[o.name] !== undefined);

  async function pledge() {
    if (inFlight.current) return;
    setError(null);
    const unchosen = campaign.options.find((o) => variant[o.name] === undefined);
    if (unchosen) {
      setMissing(unchosen.name);
      document.getElementById(`option-${unchosen.name}`)?.focus();
      return;
    }
    if (!session) {
      pendingAfterSignIn.current = true;
      setSignInOpen(true);
      return;
    }
    inFlight.current = true;
    setBusy(true);
    const body = { variant, quantity };
    const signature = JSON.stringify(body);
    if (attempt.current?.body !== signature) attempt.current = { key: newIdempotencyKey(), body: signature };
    try {
      // Signed in just now on a shop owner's link: their binding first, so that this pledge is attributed to them.
      await sendBinding(api);
      const placed = await api<Pledge>('POST', `/v1/campaigns/${encodeURIComponent(campaign.id)}/pledges`, { body, idempotencyKey: attempt.current.key });
      attempt.current = null;
      forget('/v1/me/');
      const payment = placed.depositPayment;
      navigate(payment ? checkoutPath(payment) : `/me/pledges/${placed.id}`);
    } catch (e) {
      setError(e);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }

  // Signed out, the sign-in form will be the next thing needed: fetched once the page is idle, so the
  // sheet opens at once on a slow connection without weighing on the first load.
  useEffect(() => {
    if (session) return;
    const idle = window.requestIdleCallback ?? ((f: () => void) => window.setTimeout(f, 1500));
    idle(() => void loadSignIn().catch(() => undefined));
  }, [session]);

  // Signed in from the sheet: carry on with the pledge the buyer asked for.
  useEffect(() => {
    if (session && pendingAfterSignIn.current) {
      pendingAfterSignIn.current = false;
      setSignInOpen(false);
      void pledge();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [session]);

  return (
    <article className="campaign" data-campaign-id={campaign.id}>
      <div className="hero">
        {campaign.imageUrl ? (
          <img src={campaign.imageUrl} alt={campaign.productName} width={390} height={260} />
        ) : (
          <div className="hero-placeholder" aria-hidden="true">
            🛍️
          </div>
        )}
      </div>
      <section className="card">
        <StatusLine campaign={campaign} />
        <h1>{campaign.title}</h1>
        <p className="product">{campaign.productName}</p>
        <PriceLine campaign={campaign} />
        {stale && <Message kind="info">{t('common.stale')}</Message>}
      </section>
      <Ladder campaign={campaign} />
      {campaign.description && (
        <section className="card">
          <h2>{t('campaign.about')}</h2>
          <p className="description">{campaign.description}</p>
        </section>
      )}
      {open && (
        <section className="card" aria-labelledby="choose-title">
          <h2 id="choose-title">{t('campaign.choose')}</h2>
          {campaign.options.map((option) => (
            <fieldset key={option.name} className="option" aria-invalid={missing === option.name} id={`option-${option.name}`} tabIndex={-1}>
              <legend>{optionLabel(option, language)}</legend>
              <div className="chips">
                {option.values.map((value) => (
                  <label key={value} className={variant[option.name] === value ? 'chip selected' : 'chip'}>
                    <input
                      type="radio"
                      name={`opt-${option.name}`}
                      value={value}
                      checked={variant[option.name] === value}
                      onChange={() => {
                        setVariant((v) => ({ ...v, [option.name]: value }));
                        if (missing === option.name) setMissing(null);
                      }}
                    />
                    {valueLabel(option, value, language)}
                  </label>
                ))}
              </div>
              {missing === option.name && <Message kind="error">{t('campaign.pleaseChoose', { option: optionLabel(option, language) })}</Message>}
            </fieldset>
          ))}
          <div className="quantity">
            <span id="qty-label">{t('campaign.quantity')}</span>
            <div className="stepper" role="group" aria-labelledby="qty-label">
              <button
                type="button"
                className="step"
                onClick={() => setQuantity((q) => Math.max(1, q - 1))}
                disabled={quantity <= 1}
                aria-label={t('campaign.fewer')}
              >
                −
              </button>
              <output aria-live="polite" aria-label={t('campaign.quantity')} data-testid="quantity">
                {quantity}
              </output>
              <button
                type="button"
                className="step"
                onClick={() => setQuantity((q) => Math.min(limit, q + 1))}
                disabled={quantity >= limit}
                aria-label={t('campaign.more')}
              >
                +
              </button>
            </div>
            {campaign.perConsumerLimit !== null && <span className="hint">{t('campaign.limit', { n: campaign.perConsumerLimit })}</span>}
          </div>
          <Deal campaign={campaign} variant={complete ? variant : null} quantity={quantity} onDeposit={setQuotedDeposit} />
        </section>
      )}
      <Rules campaign={campaign} />
      <Share campaign={campaign} />
      <ShopKitSlot campaign={campaign} />
      {open && (
        <div className="buybar">
          {error !== null && <Message kind="error">{errorText(error, t)}</Message>}
          <button type="button" className="button primary wide" onClick={() => void pledge()} disabled={busy} aria-busy={busy} data-testid="pledge-button">
            {busy
              ? t('campaign.pledging')
              : quotedDeposit
                ? t('campaign.pledgeAmount', { amount: yuan(quotedDeposit) })
                : t('campaign.pledge', { deposit: yuan(campaign.depositPerUnit) })}
          </button>
        </div>
      )}
      <Sheet
        open={signInOpen}
        onClose={() => {
          pendingAfterSignIn.current = false;
          setSignInOpen(false);
        }}
        title={t('signIn.sheetTitle')}
      >
        <Suspense fallback={<Loading />}>
          <SignInForm />
        </Suspense>
      </Sheet>
    </article>
  );
}

function StatusLine({ campaign }: { campaign: Campaign }) {
  const { t, language } = useI18n();
  const now = useNow();
  switch (campaign.status) {
    case 'open':
      return (
        <p className="status status-open" data-testid="countdown">
          <span className="badge">{t('campaignStatus.open')}</span> {t('campaign.endsIn', { time: countdown(campaign.closesAt, now, language) })}
        </p>
      );
    case 'scheduled':
      return (
        <p className="status">
          <span className="badge">{t('campaignStatus.scheduled')}</span> {t('campaign.opensAt', { time: dateTime(campaign.opensAt, language) })}
        </p>
      );
    case 'succeeded':
    case 'completed':
      return (
        <p className="status status-done">
          <span className="badge">{t(`campaignStatus.${campaign.status}`)}</span>{' '}
          {campaign.finalUnitPrice && t('campaign.finalPrice', { price: yuan(campaign.finalUnitPrice) })}
        </p>
      );
    default:
      return (
        <p className="status status-ended">
          <span className="badge">{t(`campaignStatus.${campaign.status}`)}</span> {campaign.status === 'failed' ? t('campaign.failedNote') : ''}
        </p>
      );
  }
}

function PriceLine({ campaign }: { campaign: Campaign }) {
  const { t } = useI18n();
  const lowest = campaign.tiers[campaign.tiers.length - 1];
  const now = campaign.finalUnitPrice ?? campaign.progress.currentTier?.unitPrice ?? null;
  return (
    <p className="price-line">
      {now ? (
        <span className="price">{t('campaign.priceNow', { price: yuan(now) })}</span>
      ) : (
        lowest && <span className="price">{t('campaign.priceFrom', { price: yuan(lowest.unitPrice) })}</span>
      )}{' '}
      <s className="reference" aria-label={t('campaign.referenceAria', { price: yuan(campaign.referencePrice) })}>
        {yuan(campaign.referencePrice)}
      </s>
    </p>
  );
}

/** 阶梯价: each tier, which are reached, how many units the next one still needs; pledgers and units live. */
function Ladder({ campaign }: { campaign: Campaign }) {
  const { t, language } = useI18n();
  const { progress, tiers } = campaign;
  const top = tiers[tiers.length - 1]?.minUnits ?? 1;
  const percent = Math.min(100, Math.round((progress.paidUnits / top) * 100));
  return (
    <section className="card" aria-labelledby="ladder-title">
      <h2 id="ladder-title">{t('campaign.ladder')}</h2>
      <p className="people" data-testid="progress" aria-live="polite">
        {t('campaign.people', { pledgers: number(progress.pledgers, language), units: number(progress.paidUnits, language) })}
      </p>
      <div className="bar" aria-hidden="true">
        <div className="bar-fill" style={{ width: `${percent}%` }} />
        {tiers.map((tier) => (
          <span key={tier.minUnits} className="bar-mark" style={{ left: `${Math.min(100, (tier.minUnits / top) * 100)}%` }} />
        ))}
      </div>
      <ol className="tiers">
        <li className="tier reached">
          <span>{t('campaign.tierReference')}</span>
          <span>{yuan(campaign.referencePrice)}</span>
        </li>
        {tiers.map((tier) => {
          // Up to the tier the price has reached: a decided campaign's is the one it was decided at, whatever refunds did later.
          const reached = tier.minUnits <= (progress.currentTier?.minUnits ?? 0);
          const next = progress.nextTier?.minUnits === tier.minUnits;
          return (
            <li key={tier.minUnits} className={reached ? 'tier reached' : next ? 'tier next' : 'tier'} data-testid="tier">
              <span>{t('campaign.tierFrom', { units: number(tier.minUnits, language) })}</span>
              <span className="tier-price">{yuan(tier.unitPrice)}</span>
              <span className="tier-state">
                {reached ? t('campaign.tierReached') : next ? t('campaign.tierNeeds', { units: number(progress.nextTier!.unitsNeeded, language) }) : ''}
              </span>
            </li>
          );
        })}
      </ol>
      {campaign.status === 'open' && (
        <p className="next" data-testid="next-tier">
          {progress.nextTier
            ? t(progress.thresholdReached ? 'campaign.nextTier' : 'campaign.threshold', {
                units: number(progress.nextTier.unitsNeeded, language),
                price: yuan(progress.nextTier.unitPrice),
              })
            : t('campaign.topTier')}
        </p>
      )}
    </section>
  );
}

/** The deposit deal in the buyer's terms, from the quote API (one source of truth for money). */
function Deal({
  campaign,
  variant,
  quantity,
  onDeposit,
}: {
  campaign: Campaign;
  variant: Record<string, string> | null;
  quantity: number;
  onDeposit(deposit: string | null): void;
}) {
  const { t } = useI18n();
  const { api } = useSession();
  // Until every option is chosen the deal is quoted for the first values: prices are the same for every variant.
  const asked = variant ?? Object.fromEntries(campaign.options.map((o) => [o.name, o.values[0]]));
  const [debounced, setDebounced] = useState({ asked, quantity });
  const askedKey = JSON.stringify(asked);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced({ asked: JSON.parse(askedKey) as Record<string, string>, quantity }), 200);
    return () => clearTimeout(timer);
  }, [askedKey, quantity]);
  const tier = campaign.progress.currentTier?.minUnits ?? 0;
  const key = `quote:${campaign.id}:${JSON.stringify(debounced)}:${tier}`;
  const quote = useResource<Quote>(key, (signal) =>
    api('POST', `/v1/campaigns/${encodeURIComponent(campaign.id)}/quote`, { body: { variant: debounced.asked, quantity: debounced.quantity }, signal }),
  );
  const q = quote.data;
  // The button says what this pledge's deposit is, as quoted for the quantity shown (never worked out here).
  const quotedFor = q && q.quantity === quantity ? q.deposit : null;
  useEffect(() => onDeposit(quotedFor), [quotedFor, onDeposit]);
  if (!q) {
    if (quote.error) {
      // An older service has no quote: say only what the campaign itself states, never a sum of our own.
      return <p className="deal">{t('campaign.depositPerUnit', { deposit: yuan(campaign.depositPerUnit) })}</p>;
    }
    return (
      <p className="deal deal-loading" aria-busy="true">
        {t('campaign.quoting')}
      </p>
    );
  }
  const balance = q.balanceNow ?? q.tiers[0]?.balance ?? null;
  return (
    <div className="deal" data-testid="deal" aria-live="polite">
      <p className="deal-main">{t('campaign.deal', { deposit: yuan(q.deposit), credit: yuan(q.depositCredit), balance: yuan(balance) })}</p>
      {q.balanceAtLowest !== balance && (
        <p className="deal-more">{t('campaign.dealLowest', { balance: yuan(q.balanceAtLowest), price: yuan(q.lowestUnitPrice) })}</p>
      )}
      <p className="deal-more">{t('campaign.dealRefund', { refund: yuan(q.refundIfNotReached) })}</p>
    </div>
  );
}

function Rules({ campaign }: { campaign: Campaign }) {
  const { t, language } = useI18n();
  return (
    <section className="card" aria-labelledby="rules-title">
      <h2 id="rules-title">{t('campaign.rules')}</h2>
      <ul className="rules">
        <li>{t('campaign.ruleDeposit', { deposit: yuan(campaign.depositPerUnit) })}</li>
        <li>{t('campaign.ruleClose', { time: dateTime(campaign.closesAt, language) })}</li>
        <li>{t('campaign.ruleBalance', { hours: campaign.balanceWindowHours })}</li>
        <li>{t('campaign.ruleForfeit')}</li>
        <li>{t('campaign.ruleCancel')}</li>
        <li>{t('campaign.ruleRefund')}</li>
        {campaign.expectedShipDate && <li>{t('campaign.ruleShip', { date: day(campaign.expectedShipDate, language) })}</li>}
      </ul>
    </section>
  );
}

/** Copy link, QR code, the phone's share menu, and inside WeChat its share card (JS-SDK) when the service is configured for it. */
function Share({ campaign }: { campaign: Campaign }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const [qr, setQr] = useState(false);
  const [poster, setPoster] = useState(false);
  const url = `${location.origin}/c/${encodeURIComponent(campaign.id)}`;
  // A shop owner's code this page was opened with goes on into the poster's QR code.
  const shop = new URLSearchParams(location.search).get('s');
  const posterUrl = `/c/${encodeURIComponent(campaign.id)}/poster.png${shop && /^[A-Za-z0-9]{4,12}$/.test(shop) ? `?s=${shop}` : ''}`;

  useEffect(() => {
    if (!/MicroMessenger/i.test(navigator.userAgent)) return;
    const pageUrl = location.href.split('#')[0];
    void api<WechatConfig>('GET', `/v1/wechat/js-sdk-config?url=${encodeURIComponent(pageUrl)}`)
      .then((config) =>
        config.enabled ? configureWechat(config, { title: campaign.title, desc: campaign.productName, link: url, imgUrl: campaign.imageUrl ?? '' }) : undefined,
      )
      // Without the JS-SDK WeChat shows the server's meta tags: nothing to tell the buyer.
      .catch(() => undefined);
  }, [api, campaign.id, campaign.title, campaign.productName, campaign.imageUrl, url]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  }
  return (
    <section className="card" aria-labelledby="share-title">
      <h2 id="share-title">{t('share.title')}</h2>
      <p className="hint">{t('share.why')}</p>
      <div className="actions">
        <button type="button" className="button secondary" onClick={() => void copy()}>
          {t('share.copy')}
        </button>
        <button type="button" className="button secondary" onClick={() => setQr(true)}>
          {t('share.qr')}
        </button>
        <button type="button" className="button secondary" onClick={() => setPoster(true)}>
          {t('share.poster')}
        </button>
        {typeof navigator.share === 'function' && (
          <button type="button" className="button secondary" onClick={() => void navigator.share({ title: campaign.title, url }).catch(() => undefined)}>
            {t('share.more')}
          </button>
        )}
      </div>
      {copied === 'yes' && <Message kind="success">{t('share.copied')}</Message>}
      {copied === 'no' && (
        <Message kind="info">
          {t('share.copyByHand')} <input className="copy-field" readOnly value={url} aria-label={t('share.link')} onFocus={(e) => e.currentTarget.select()} />
        </Message>
      )}
      <Sheet open={qr} onClose={() => setQr(false)} title={t('share.qrTitle')}>
        <img className="qr" src={`/c/${encodeURIComponent(campaign.id)}/qr.svg`} alt={t('share.qrAlt', { title: campaign.title })} width={240} height={240} />
        <p className="hint center">{t('share.qrHint')}</p>
      </Sheet>
      <Sheet open={poster} onClose={() => setPoster(false)} title={t('share.poster')}>
        {/* Loaded only when asked for: the picture is drawn on the server and weighs ~80 kB. */}
        {poster && <img className="poster" src={posterUrl} alt={t('share.posterAlt', { title: campaign.title })} width={750} height={1334} />}
        <p className="hint center">{t('share.posterHint')}</p>
      </Sheet>
    </section>
  );
}

/** The share kit, for a signed-in approved shop owner (their shop and code from GET /v1/me/shop). */
function ShopKitSlot({ campaign }: { campaign: Campaign }) {
  const { session, api } = useSession();
  const mine = useResource<{ application: ShopApplication | null }>(session ? '/v1/me/shop' : null, (signal) => api('GET', '/v1/me/shop', { signal }));
  const shop = mine.data?.application;
  if (!session || shop?.status !== 'approved' || !shop.code) return null;
  return (
    <Suspense fallback={null}>
      <ShopKit campaign={campaign} code={shop.code} />
      <MarkThis campaign={campaign} />
    </Suspense>
  );
}

interface Wx {
  config(c: Record<string, unknown>): void;
  ready(f: () => void): void;
  updateAppMessageShareData(d: Record<string, string>): void;
  updateTimelineShareData(d: Record<string, string>): void;
}

/** WeChat's own script, loaded only inside WeChat and only when the service signs for this page. */
function configureWechat(config: Extract<WechatConfig, { enabled: true }>, card: { title: string; desc: string; link: string; imgUrl: string }) {
  const script = document.createElement('script');
  script.src = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';
  script.onload = () => {
    const wx = (window as unknown as { wx?: Wx }).wx;
    if (!wx) return;
    wx.config({
      debug: false,
      appId: config.appId,
      timestamp: config.timestamp,
      nonceStr: config.nonceStr,
      signature: config.signature,
      jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData'],
    });
    wx.ready(() => {
      wx.updateAppMessageShareData(card);
      wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
    });
  };
  document.head.appendChild(script);
}
