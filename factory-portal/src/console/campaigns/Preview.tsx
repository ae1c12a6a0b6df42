import { useTranslation } from 'react-i18next';
import { useLanguage } from '../../i18n';
import { formatDateTime, formatMoney, formatNumber } from '../../lib/format';
import type { CampaignPreview } from './queries';

/** The campaign as consumers will see it, from the server's preview: choices in Chinese, each tier's price, deposit, credit and balance. */
export function Preview({ preview }: { preview: CampaignPreview }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  const label = (l: { zh: string; en: string }) => (language === 'zh' ? l.zh : l.en);
  return (
    <div className="campaign-preview" data-testid="campaign-preview">
      <p className="preview-title">{preview.title}</p>
      <p className="muted">{preview.productName}</p>
      <h3>{t('console.campaigns.preview.options')}</h3>
      <dl className="terms">
        {preview.options.map((o) => (
          <div key={o.name} className="preview-option">
            <dt>{label(o.label)}</dt>
            <dd>{o.values.map((v) => label(o.valueLabels[v])).join(' · ')}</dd>
          </div>
        ))}
      </dl>
      <p className="hint">{t('console.campaigns.preview.variants', { count: preview.variants })}</p>
      <ul className="preview-facts">
        <li>{t('console.campaigns.preview.deposit', { amount: formatMoney(preview.depositPerUnit) })}</li>
        <li>{t('console.campaigns.preview.credit', { amount: formatMoney(preview.depositCreditPerUnit) })}</li>
        <li>{t('console.campaigns.preview.refund', { amount: formatMoney(preview.refundIfNotReached) })}</li>
        <li>{t('console.campaigns.preview.threshold', { units: number(preview.threshold) })}</li>
        {preview.maxUnits !== null && <li>{t('console.campaigns.preview.cap', { units: number(preview.maxUnits) })}</li>}
      </ul>
      <h3 id="preview-tiers">{t('console.campaigns.preview.tierTable')}</h3>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="preview-tiers">
        <table data-testid="preview-tiers">
          <thead>
            <tr>
              <th scope="col">{t('console.campaigns.preview.units')}</th>
              <th scope="col" className="num">
                {t('console.campaigns.preview.price')}
              </th>
              <th scope="col" className="num">
                {t('console.campaigns.preview.saving')}
              </th>
              <th scope="col" className="num">
                {t('console.campaigns.preview.creditAt')}
              </th>
              <th scope="col" className="num">
                {t('console.campaigns.preview.balance')}
              </th>
            </tr>
          </thead>
          <tbody>
            {preview.tiers.map((tier) => (
              <tr key={tier.minUnits}>
                <th scope="row">{t('console.campaigns.preview.tierUnits', { units: number(tier.minUnits) })}</th>
                <td className="num">{formatMoney(tier.unitPrice)}</td>
                <td className="num">{formatMoney(tier.saving)}</td>
                <td className="num">{formatMoney(tier.depositCredit)}</td>
                <td className="num">{formatMoney(tier.balance)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="preview-facts">
        <li>{t('console.campaigns.preview.window', { opens: formatDateTime(preview.opensAt), closes: formatDateTime(preview.closesAt) })}</li>
        <li>{t('console.campaigns.preview.balanceDue', { hours: number(preview.balanceWindowHours), at: formatDateTime(preview.balanceDueAt) })}</li>
        <li>{t('console.campaigns.preview.ship', { date: preview.expectedShipDate })}</li>
      </ul>
    </div>
  );
}
