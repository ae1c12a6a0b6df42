import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../lib/format';
import type { CampaignWarning } from './queries';

/** A warning's figures as the sentence shows them: an instant in China time. */
function paramsOf(w: CampaignWarning): Record<string, string | number> {
  return Object.fromEntries(Object.entries(w.params).map(([k, v]) => [k, k === 'closesAt' && typeof v === 'string' ? formatDateTime(v) : v]));
}

/** A draft's warnings: terms that are legal but surprise consumers, each said from its code (docs/operator-console.md § Campaigns). */
export function Warnings({ warnings, id = 'warnings-heading' }: { warnings: readonly CampaignWarning[]; id?: string }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby={id} className="card campaign-warnings" data-testid="campaign-warnings">
      <h2 id={id}>{t('console.campaigns.warnings.title')}</h2>
      {warnings.length === 0 ? (
        <p className="muted">{t('console.campaigns.warnings.none')}</p>
      ) : (
        <ul>
          {warnings.map((w) => (
            <li key={`${w.code}:${w.field}`} data-code={w.code} data-testid="campaign-warning">
              {t(`console.campaigns.warnings.${w.code}`, paramsOf(w))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
