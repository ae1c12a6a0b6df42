import { useTranslation } from 'react-i18next';
import { useAccuracy } from '../api/queries';
import { CampaignAccuracyChart, VersionAccuracyChart } from '../components/Charts';
import { Empty, QueryView } from '../components/StateViews';
import { useLanguage } from '../i18n';
import { formatDateTime, formatNumber, formatPercent, formatRatio } from '../lib/format';

export function Accuracy() {
  const { t } = useTranslation();
  const language = useLanguage();
  const accuracy = useAccuracy();
  return (
    <>
      <h1>{t('accuracy.title')}</h1>
      <p className="muted">{t('accuracy.intro')}</p>
      <QueryView query={accuracy}>
        {(data) =>
          data.versions.length === 0 ? (
            <Empty>{t('accuracy.empty')}</Empty>
          ) : (
            <>
              <section aria-labelledby="plan-heading">
                <h2 id="plan-heading">{t('accuracy.plan.heading')}</h2>
                <p data-testid="plan-summary">
                  {data.plan.campaigns === 0
                    ? t('accuracy.plan.none')
                    : t('accuracy.plan.summary', {
                        planned: formatNumber(data.plan.plannedUnits, language),
                        paid: formatNumber(data.plan.paidUnits, language),
                        ratio: formatRatio(data.plan.ratio, language),
                      })}
                </p>
                <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="plan-heading">
                  <table data-testid="accuracy-plan">
                    <thead>
                      <tr>
                        <th scope="col">{t('accuracy.plan.campaign')}</th>
                        <th scope="col" className="num">{t('accuracy.plan.planned')}</th>
                        <th scope="col" className="num">{t('accuracy.plan.paid')}</th>
                        <th scope="col" className="num">{t('accuracy.plan.ratio')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.campaigns.map((c) => (
                        <tr key={c.campaignId}>
                          <th scope="row">{c.title}</th>
                          <td className="num">{c.plannedUnits === null ? t('accuracy.plan.notCommitted') : formatNumber(c.plannedUnits, language)}</td>
                          <td className="num">{formatNumber(c.actualUnits, language)}</td>
                          <td className="num">{formatRatio(c.plannedRatio, language)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </section>
              <section aria-labelledby="versions-heading">
                <h2 id="versions-heading">{t('accuracy.byVersion')}</h2>
                <div className="two-columns">
                  <VersionAccuracyChart versions={data.versions} />
                  <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="versions-heading">
                    <table data-testid="accuracy-versions">
                      <thead>
                        <tr>
                          <th scope="col">{t('batches.version')}</th>
                          <th scope="col">{t('batches.publishedAt')}</th>
                          <th scope="col" className="num">{t('batches.lines')}</th>
                          <th scope="col" className="num">{t('accuracy.mape')}</th>
                          <th scope="col" className="num">{t('accuracy.bias')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {data.versions.map((v) => (
                          <tr key={v.version}>
                            <th scope="row">{t('batches.versionLabel', { version: v.version })}</th>
                            <td>{formatDateTime(v.publishedAt)}</td>
                            <td className="num">{formatNumber(v.lines, language)}</td>
                            <td className="num">{formatPercent(v.mapePercent, language)}</td>
                            <td className="num">{formatPercent(v.biasPercent, language)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </div>
              </section>
              <section aria-labelledby="campaigns-accuracy-heading">
                <h2 id="campaigns-accuracy-heading">{t('accuracy.byCampaign')}</h2>
                <div className="charts">
                  {data.campaigns.map((c) => (
                    <CampaignAccuracyChart key={c.campaignId} campaign={c} />
                  ))}
                </div>
              </section>
            </>
          )
        }
      </QueryView>
    </>
  );
}
