import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ActionError, QueryView } from '../../components/StateViews';
import { Field, useFieldError } from '../../components/Field';
import { edibleText } from './FruitPage';
import { type CatalogueFruit, type FruitCatalogue, type FruitChange, useFruitCatalogue, useUpdateFruit } from './queries';
import './fruit.css';

const MONTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** One fruit of the catalogue (/console/fruit/:id): ripening, keeping, seasons, ethylene, cost, supplier, offered. */
export function FruitEditor() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const catalogue = useFruitCatalogue();
  return (
    <>
      <p className="breadcrumb">
        <Link to="/console/fruit">{t('console.fruit.back')}</Link>
      </p>
      <QueryView query={catalogue}>
        {(data) => {
          const fruit = data.items.find((f) => f.id === id);
          return fruit ? <EditForm key={fruit.id} fruit={fruit} orchards={data.orchards} /> : <p className="state state-empty">{t('common.notFound')}</p>;
        }}
      </QueryView>
    </>
  );
}

/** A form's text of a whole number: what the operator typed, sent as a number when it is one (the API says what is wrong otherwise). */
const asNumber = (text: string): number | string => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text);

function EditForm({ fruit, orchards }: { fruit: CatalogueFruit; orchards: FruitCatalogue['orchards'] }) {
  const { t } = useTranslation();
  const update = useUpdateFruit(fruit.id);
  const [min, setMin] = useState(String(fruit.ripeningDays[0]));
  const [max, setMax] = useState(String(fruit.ripeningDays[1]));
  const [goodDays, setGoodDays] = useState(String(fruit.goodDays));
  const [seasons, setSeasons] = useState(fruit.seasons.map((s) => ({ origin: s.origin, months: [...s.months] })));
  const [producer, setProducer] = useState(fruit.ethylene.producer);
  const [sensitive, setSensitive] = useState(fruit.ethylene.sensitive);
  const [unitCost, setUnitCost] = useState(fruit.unitCost);
  const [orchardId, setOrchardId] = useState(fruit.orchardId ?? '');
  const [active, setActive] = useState(fruit.active);
  const unit = t(`console.fruit.units.${fruit.unit}`);
  // What the figures as typed would mean: the guaranteed edible days, before saving.
  const [a, b, g] = [Number(min), Number(max), Number(goodDays)];
  const preview = [a, b, g].every(Number.isInteger) && a <= b ? (b <= a + g - 1 ? { from: b, until: a + g - 1 } : null) : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const change = {
      ripeningMinDays: asNumber(min),
      ripeningMaxDays: asNumber(max),
      goodDays: asNumber(goodDays),
      seasons: seasons.map((s) => ({ origin: s.origin.trim(), months: s.months })),
      ethylene: { producer, sensitive },
      unitCost: unitCost.trim(),
      orchardId: orchardId || null,
      active,
    } as FruitChange;
    update.mutate(change);
  };
  const setSeason = (i: number, next: { origin: string; months: number[] }) => setSeasons(seasons.map((s, j) => (j === i ? next : s)));
  const seasonsError = useFieldError(update.error, 'body.seasons');

  return (
    <>
      <h1>{t('console.fruit.editTitle', { name: `${fruit.nameZh} ${fruit.nameEn}` })}</h1>
      <form className="stacked-form fruit-editor" onSubmit={submit} noValidate>
        <fieldset>
          <legend>{t('console.fruit.ripening')}</legend>
          <Field
            id="ripening-min"
            label={t('console.fruit.ripeningMin')}
            hint={t('console.fruit.ripeningHint')}
            error={update.error}
            path="body.ripeningMinDays"
          >
            <input inputMode="numeric" value={min} onChange={(e) => setMin(e.target.value)} />
          </Field>
          <Field id="ripening-max" label={t('console.fruit.ripeningMax')} error={update.error} path="body.ripeningMaxDays">
            <input inputMode="numeric" value={max} onChange={(e) => setMax(e.target.value)} />
          </Field>
          <Field id="good-days" label={t('console.fruit.goodDays')} hint={t('console.fruit.goodDaysHint')} error={update.error} path="body.goodDays">
            <input inputMode="numeric" value={goodDays} onChange={(e) => setGoodDays(e.target.value)} />
          </Field>
          {preview !== undefined && (
            <p className={preview ? 'muted' : 'fruit-warning'} data-testid="edible-preview" role="status">
              {preview ? t('console.fruit.edibleNow', { range: edibleText({ edibleDays: preview }, t) }) : t('console.fruit.edibleNever')}
            </p>
          )}
          <div className="field">
            <span className="label">{t('console.fruit.ethylene')}</span>
            <label className="check">
              <input type="checkbox" checked={producer} onChange={(e) => setProducer(e.target.checked)} /> {t('console.fruit.producer')}
            </label>
            <label className="check">
              <input type="checkbox" checked={sensitive} onChange={(e) => setSensitive(e.target.checked)} /> {t('console.fruit.sensitive')}
            </label>
          </div>
        </fieldset>

        <fieldset>
          <legend>{t('console.fruit.seasons')}</legend>
          {seasonsError && (
            <p className="field-error" id="seasons-error">
              {seasonsError}
            </p>
          )}
          {seasons.map((season, i) => (
            <div className="season" key={i} data-testid="season">
              <Field id={`season-${i}-origin`} label={t('console.fruit.seasonOrigin')} error={update.error} path={`body.seasons.${i}.origin`}>
                <input value={season.origin} onChange={(e) => setSeason(i, { ...season, origin: e.target.value })} />
              </Field>
              <fieldset className="months" aria-describedby={`season-${i}-months-error`}>
                <legend>{t('console.fruit.seasonMonths')}</legend>
                {MONTHS.map((m) => (
                  <label key={m} className="check">
                    <input
                      type="checkbox"
                      checked={season.months.includes(m)}
                      onChange={(e) =>
                        setSeason(i, {
                          ...season,
                          months: e.target.checked ? [...season.months, m].sort((x, y) => x - y) : season.months.filter((x) => x !== m),
                        })
                      }
                    />{' '}
                    {t('console.fruit.month', { month: m })}
                  </label>
                ))}
                <MonthsError error={update.error} index={i} />
              </fieldset>
              <button type="button" onClick={() => setSeasons(seasons.filter((_, j) => j !== i))}>
                {t('console.fruit.removeSeason')}
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setSeasons([...seasons, { origin: '', months: [] }])}>
            {t('console.fruit.addSeason')}
          </button>
        </fieldset>

        <fieldset>
          <legend>{t('console.fruit.orchard')}</legend>
          <Field id="unit-cost" label={t('console.fruit.unitCostLabel', { unit })} error={update.error} path="body.unitCost">
            <input inputMode="decimal" value={unitCost} onChange={(e) => setUnitCost(e.target.value)} />
          </Field>
          <Field id="orchard" label={t('console.fruit.orchard')} error={update.error} path="body.orchardId">
            <select value={orchardId} onChange={(e) => setOrchardId(e.target.value)}>
              <option value="">{t('console.fruit.noOrchard')}</option>
              {orchards.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </Field>
          <label className="check">
            <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('console.fruit.offered')}
          </label>
        </fieldset>

        <div className="form-actions">
          <button type="submit" className="primary" disabled={update.isPending}>
            {update.isPending ? t('console.fruit.saving') : t('console.fruit.save')}
          </button>
        </div>
        {update.isError && <ActionError error={update.error} />}
        {update.isSuccess && (
          <p className="notice" role="status">
            {t('console.fruit.saved')}
          </p>
        )}
      </form>
    </>
  );
}

/** The error of a season's months (a month twice, none, or out of range), under its checkboxes. */
function MonthsError({ error, index }: { error: unknown; index: number }) {
  const message = useFieldError(error, `body.seasons.${index}.months`, true);
  return message ? (
    <p className="field-error" id={`season-${index}-months-error`}>
      {message}
    </p>
  ) : null;
}
