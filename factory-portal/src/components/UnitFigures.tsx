import { useTranslation } from 'react-i18next';
import type { Units } from '../api/types';
import { useLanguage } from '../i18n';
import { formatNumber } from '../lib/format';

/** Firm, expected and low–high units side by side: the same three figures on every screen that shows a forecast. */
export function UnitFigures({ units }: { units: Units }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const number = (value: number) => formatNumber(value, language);
  return (
    <dl className="figures">
      <div>
        <dt>{t('units.firm')}</dt>
        <dd data-testid="firm-units">{number(units.firmUnits)}</dd>
      </div>
      <div>
        <dt>{t('units.expected')}</dt>
        <dd data-testid="expected-units">{number(units.expectedUnits)}</dd>
      </div>
      <div>
        <dt>{t('units.range')}</dt>
        <dd>{t('units.rangeOf', { low: number(units.lowUnits), high: number(units.highUnits) })}</dd>
      </div>
    </dl>
  );
}
