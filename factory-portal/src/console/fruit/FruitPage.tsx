import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Link, NavLink, useSearchParams } from 'react-router';
import { CsvDownload } from '../../components/CsvDownload';
import { Empty, QueryView } from '../../components/StateViews';
import { useLanguage } from '../../i18n';
import { formatMoney, formatNumber, formatWeek, shanghaiDay, type Language } from '../../lib/format';
import { type CatalogueFruit, type PickingList, type Shortfalls, useFruitCatalogue, usePickingList, useShipDates, useShortfalls } from './queries';
import './fruit.css';

/** A fruit's name as operators read it: its Chinese name first, the English beside it in English. */
export const fruitName = (fruit: { nameZh: string; nameEn: string }, language: Language) =>
  language === 'zh' ? fruit.nameZh : `${fruit.nameEn} ${fruit.nameZh}`;

/** Months as a list: 3、4、5、6. */
export const monthsText = (months: readonly number[]) => [...months].sort((a, b) => a - b).join('、');

/**
 * 水果: the catalogue (/console/fruit), and per ship date its shortfalls, fair shares and picking list
 * (/console/fruit/ship-dates), one tab each.
 */
export function FruitPage({ tab }: { tab: 'catalogue' | 'ship-dates' }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('console.fruit.title')}</h1>
      <p className="muted">{t('console.fruit.intro')}</p>
      <nav className="fruit-tabs" aria-label={t('console.fruit.title')}>
        <NavLink to="/console/fruit" end>
          {t('console.fruit.catalogueHeading')}
        </NavLink>
        <NavLink to="/console/fruit/ship-dates">{t('console.fruit.shipHeading')}</NavLink>
      </nav>
      {tab === 'catalogue' ? <Catalogue /> : <ShipDateDesk />}
    </>
  );
}

export function edibleText(fruit: Pick<CatalogueFruit, 'edibleDays'>, t: TFunction): string {
  return fruit.edibleDays ? t('console.fruit.edibleRange', { from: fruit.edibleDays.from, until: fruit.edibleDays.until }) : t('console.fruit.neverEdible');
}

function Catalogue() {
  const { t } = useTranslation();
  const language = useLanguage();
  const catalogue = useFruitCatalogue();
  return (
    <section aria-labelledby="catalogue-heading">
      <h2 id="catalogue-heading">{t('console.fruit.catalogueHeading')}</h2>
      <QueryView query={catalogue}>
        {({ items }) => (
          <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="catalogue-heading">
            <table data-testid="fruit-catalogue" className="fruit-catalogue">
              <thead>
                <tr>
                  <th scope="col">{t('console.fruit.fruit')}</th>
                  <th scope="col">{t('console.fruit.ripening')}</th>
                  <th scope="col">{t('console.fruit.goodDays')}</th>
                  <th scope="col">{t('console.fruit.edible')}</th>
                  <th scope="col">{t('console.fruit.seasons')}</th>
                  <th scope="col">{t('console.fruit.ethylene')}</th>
                  <th scope="col" className="num">
                    {t('console.fruit.unitCost')}
                  </th>
                  <th scope="col">{t('console.fruit.orchard')}</th>
                  <th scope="col">{t('console.fruit.status')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('console.fruit.edit')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((f) => (
                  <tr key={f.id} data-testid="fruit-row" data-fruit={f.id} className={f.active ? undefined : 'fruit-inactive'}>
                    <th scope="row">
                      {f.nameZh}
                      <span className="fruit-en">{f.nameEn}</span>
                    </th>
                    <td data-testid="fruit-ripening">
                      {f.readyToEat ? t('console.fruit.readyToEat') : t('console.fruit.ripeningRange', { min: f.ripeningDays[0], max: f.ripeningDays[1] })}
                    </td>
                    <td>{t('console.fruit.goodDaysValue', { count: f.goodDays })}</td>
                    <td data-testid="fruit-edible" className={f.edibleDays ? undefined : 'fruit-warning'}>
                      {edibleText(f, t)}
                    </td>
                    <td className="fruit-seasons">
                      {f.seasons.map((s) => (
                        <div key={s.origin}>
                          {s.origin}：{t('console.fruit.monthsList', { months: monthsText(s.months) })}
                        </div>
                      ))}
                    </td>
                    <td>
                      {[f.ethylene.producer && t('console.fruit.producer'), f.ethylene.sensitive && t('console.fruit.sensitive')].filter(Boolean).join('，') ||
                        '—'}
                    </td>
                    <td className="num">{t('console.fruit.perUnit', { cost: formatMoney(f.unitCost), unit: t(`console.fruit.units.${f.unit}`) })}</td>
                    <td>{f.orchardName ?? t('console.fruit.noOrchard')}</td>
                    <td>
                      <span className={f.active ? 'badge badge-ok' : 'badge'}>{f.active ? t('console.fruit.active') : t('console.fruit.inactive')}</span>
                    </td>
                    <td>
                      <Link to={`/console/fruit/${encodeURIComponent(f.id)}`} aria-label={`${t('console.fruit.edit')} ${fruitName(f, language)}`}>
                        {t('console.fruit.edit')}
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}

function ShipDateDesk() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [params, setParams] = useSearchParams();
  const today = shanghaiDay(new Date());
  const dates = useShipDates(today);
  const chosen = params.get('shipDate') ?? dates.data?.items[0]?.shipDate ?? today;
  const choose = (shipDate: string) => setParams(shipDate ? { shipDate } : {});
  return (
    <section aria-labelledby="ship-heading">
      <h2 id="ship-heading">{t('console.fruit.shipHeading')}</h2>
      <p className="muted">{t('console.fruit.shipIntro')}</p>
      <div className="field">
        <label htmlFor="ship-date">{t('console.fruit.shipDate')}</label>
        <input id="ship-date" type="date" value={chosen} onChange={(e) => choose(e.target.value)} />
      </div>
      <QueryView query={dates}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>{t('console.fruit.noUpcoming')}</Empty>
          ) : (
            <nav aria-label={t('console.fruit.upcoming')} className="ship-dates">
              {items.map((d) => {
                const boxes = Object.values(d.boxesByStatus).reduce((s, n) => s + n, 0) - d.boxesByStatus.cancelled;
                return (
                  <button
                    key={d.shipDate}
                    type="button"
                    data-testid="ship-date"
                    aria-pressed={d.shipDate === chosen}
                    className={d.shipDate === chosen ? 'ship-date chosen' : 'ship-date'}
                    onClick={() => choose(d.shipDate)}
                  >
                    {t('console.fruit.dateButton', { date: d.shipDate, boxes: formatNumber(boxes, language) })}
                    {d.shortBoxes > 0 && <span className="badge badge-failed">{t('console.fruit.dateShort', { count: d.shortBoxes })}</span>}
                  </button>
                );
              })}
            </nav>
          )
        }
      </QueryView>
      {chosen && (
        <>
          <ShortfallView shipDate={chosen} />
          <PickingView shipDate={chosen} />
        </>
      )}
    </section>
  );
}

function ShortfallView({ shipDate }: { shipDate: string }) {
  const { t } = useTranslation();
  const shortfalls = useShortfalls(shipDate);
  const language = useLanguage();
  return (
    <section aria-labelledby="shortfall-heading">
      <QueryView query={shortfalls}>
        {(data) => (
          <>
            <h3 id="shortfall-heading">{t('console.fruit.shortfallHeading', { week: formatWeek(data.week, language) })}</h3>
            {data.fruits.length === 0 ? <Empty>{t('console.fruit.noShortfall')}</Empty> : data.fruits.map((f) => <FruitShortfall key={f.fruitId} fruit={f} />)}
          </>
        )}
      </QueryView>
    </section>
  );
}

function FruitShortfall({ fruit: f }: { fruit: Shortfalls['fruits'][number] }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const unit = t(`console.fruit.units.${f.unit}`);
  const headingId = `shortfall-${f.fruitId}`;
  return (
    <div className="shortfall" data-testid="shortfall" data-fruit={f.fruitId}>
      <h4 id={headingId}>
        {fruitName(f, language)}
        {f.orchardName && <span className="muted"> · {f.orchardName}</span>}
        {f.shortBoxes > 0 && <span className="badge badge-failed">{t('console.fruit.shortBoxes', { count: f.shortBoxes })}</span>}
      </h4>
      <p data-testid="shortfall-summary">
        {f.committedUnits === null
          ? t('console.fruit.notCommitted')
          : t('console.fruit.committed', { committed: f.committedUnits, asked: f.askedUnits, shared: f.sharedUnits, unit })}
      </p>
      {f.boxes.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={headingId}>
          <table data-testid="shortfall-boxes">
            <thead>
              <tr>
                <th scope="col">{t('console.fruit.box')}</th>
                <th scope="col">{t('console.fruit.delivery')}</th>
                <th scope="col" className="num">
                  {t('console.fruit.asked')}
                </th>
                <th scope="col" className="num">
                  {t('console.fruit.share')}
                </th>
                <th scope="col" className="num">
                  {t('console.fruit.got')}
                </th>
                <th scope="col">{t('console.fruit.instead')}</th>
                <th scope="col">{t('console.fruit.shortDays')}</th>
                <th scope="col" className="num">
                  {t('console.fruit.price')}
                </th>
              </tr>
            </thead>
            <tbody>
              {f.boxes.map((b) => (
                <tr key={b.boxId} data-testid="shortfall-box" data-box={b.boxId} className={b.short ? 'box-short' : undefined}>
                  <td>
                    <code title={b.boxId}>{b.boxId.slice(-8)}</code>{' '}
                    <span className={b.short ? 'badge badge-failed' : 'badge badge-ok'}>
                      {b.short ? t('console.fruit.shortBadge') : t('console.fruit.fullBadge')}
                    </span>{' '}
                    <span className="muted">{t(`console.fruit.boxStatus.${b.status}`)}</span>
                  </td>
                  <td>{b.deliveryDate}</td>
                  <td className="num">{formatNumber(b.askedUnits, language)}</td>
                  <td className="num">{formatNumber(b.shareUnits, language)}</td>
                  <td className="num">{formatNumber(b.gotUnits, language)}</td>
                  <td data-testid="box-instead">
                    {b.instead.length === 0
                      ? t('console.fruit.nothingInstead')
                      : b.instead.map((i) => `${i.nameZh} ×${formatNumber(i.units, language)}`).join('，')}
                  </td>
                  <td data-testid="box-short-days">
                    {b.shortDays.length === 0
                      ? t('console.fruit.nothingInstead')
                      : b.shortDays.map((d) => t('console.fruit.shortDay', { date: d.date, portions: d.missingPortions })).join('；')}
                  </td>
                  <td className="num">{formatMoney(b.price)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function PickingView({ shipDate }: { shipDate: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const picking = usePickingList(shipDate);
  return (
    <section aria-labelledby="picking-heading">
      <h3 id="picking-heading">{t('console.fruit.pickingHeading')}</h3>
      <p className="muted">{t('console.fruit.pickingIntro')}</p>
      <QueryView query={picking}>
        {(list: PickingList) => (
          <>
            <p data-testid="boxes-by-status">{t('console.fruit.boxesByStatus', list.boxesByStatus)}</p>
            {list.items.length === 0 ? (
              <Empty>{t('console.fruit.noPicking')}</Empty>
            ) : (
              <>
                <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="picking-heading">
                  <table data-testid="picking-list">
                    <thead>
                      <tr>
                        <th scope="col">{t('console.fruit.orchard')}</th>
                        <th scope="col">{t('console.fruit.fruit')}</th>
                        <th scope="col" className="num">
                          {t('console.fruit.quantity')}
                        </th>
                        <th scope="col" className="num">
                          {t('console.fruit.boxes')}
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {list.items.map((i) => (
                        <tr key={`${i.orchardId ?? ''}:${i.fruitId}`} data-testid="picking-row" data-fruit={i.fruitId}>
                          <td>{i.orchardName ?? t('console.fruit.noOrchard')}</td>
                          <td>{fruitName(i, language)}</td>
                          <td className="num" data-testid="picking-units">
                            {formatNumber(i.units, language)} {t(`console.fruit.units.${i.unit}`)}
                          </td>
                          <td className="num">{formatNumber(i.boxes, language)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <CsvDownload
                  path={`/v1/picking-lists?shipDate=${shipDate}&format=csv`}
                  fallbackName={`picking-list-${shipDate}.csv`}
                  label={t('console.fruit.downloadCsv')}
                />
              </>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}
