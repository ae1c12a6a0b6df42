import { useTranslation } from 'react-i18next';
import type { Campaign } from '../api/types';
import { formatMoney, formatNumber } from '../lib/format';
import { useLanguage } from '../i18n';

/** Paid units against the price tiers: how far to the next, cheaper price for everyone. */
export function TierProgress({ campaign }: { campaign: Campaign }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const { paidUnits, nextTier, currentTier } = campaign.progress;
  // The tiers the price has reached: a decided campaign's is the one it was decided at, whatever refunds did later.
  const reachedUpTo = currentTier?.minUnits ?? 0;
  const top = campaign.tiers[campaign.tiers.length - 1].minUnits;
  const share = (units: number) => `${Math.min(100, (units / top) * 100)}%`;
  return (
    <div className="tiers">
      <div
        className="tier-bar"
        role="progressbar"
        aria-label={t('tiers.progress')}
        aria-valuemin={0}
        aria-valuemax={top}
        aria-valuenow={Math.min(paidUnits, top)}
        aria-valuetext={t('tiers.valueText', { paid: formatNumber(paidUnits, language), top: formatNumber(top, language) })}
      >
        <div className="tier-fill" style={{ width: share(paidUnits) }} />
        {campaign.tiers.map((tier) => (
          <span key={tier.minUnits} className="tier-mark" style={{ left: share(tier.minUnits) }} />
        ))}
      </div>
      <p className="tier-next">
        {nextTier
          ? t('tiers.next', { units: formatNumber(nextTier.unitsNeeded, language), price: formatMoney(nextTier.unitPrice) })
          : reachedUpTo === top
            ? t('tiers.top')
            : t('tiers.closed')}
      </p>
      <ol className="tier-list">
        {campaign.tiers.map((tier) => {
          const reached = tier.minUnits <= reachedUpTo;
          return (
            <li key={tier.minUnits} className={reached ? 'tier-reached' : undefined}>
              {t('tiers.tier', { units: formatNumber(tier.minUnits, language), price: formatMoney(tier.unitPrice) })}{' '}
              <span className="tier-state">{reached ? t('tiers.reached') : t('tiers.notReached')}</span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
