import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useConcepts, useProposeConcept } from '../api/queries';
import type { ConceptInput, ConceptPhase } from '../api/types';
import { PagedTable } from '../components/PagedTable';
import { ActionError, fieldErrorText } from '../components/StateViews';
import { useLanguage } from '../i18n';
import { formatDateTime, formatNumber, shanghaiDay } from '../lib/format';

/** The proposal's body fields, by the form field that fills them. */
const BODY_FIELDS: Record<string, string> = {
  title: 'title',
  description: 'description',
  photoUrls: 'photos',
  options: 'options',
  targetPrice: 'targetPrice',
  minimumRun: 'minimumRun',
  trialPlaces: 'trialPlaces',
  trialOpensAt: 'opens',
  trialClosesAt: 'closes',
};

const DAY_MS = 86_400_000;

export function PhaseBadge({ phase }: { phase: ConceptPhase }) {
  const { t } = useTranslation();
  return (
    <span className={`badge badge-concept-${phase}`} data-testid="concept-phase">
      {t(`concepts.phaseName.${phase}`)}
    </span>
  );
}

/** 新品概念: the factory's concepts with their index and gate, and the form to propose one. */
export function Concepts() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const [proposing, setProposing] = useState(false);
  const concepts = useConcepts(offset);
  const number = (value: number) => formatNumber(value, language);
  return (
    <>
      <h1 id="concepts-heading">{t('concepts.title')}</h1>
      <p className="muted">{t('concepts.intro')}</p>
      {proposing ? (
        <ProposeForm onCancel={() => setProposing(false)} />
      ) : (
        <p>
          <button type="button" className="primary" onClick={() => setProposing(true)}>
            {t('concepts.propose')}
          </button>
        </p>
      )}
      <PagedTable
        query={concepts}
        empty={t('concepts.empty')}
        labelledBy="concepts-heading"
        testId="concept-list"
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('concepts.product')}</th>
            <th scope="col">{t('concepts.phase')}</th>
            <th scope="col" className="num">
              {t('concepts.index')}
            </th>
            <th scope="col" className="num">
              {t('concepts.ratings')}
            </th>
            <th scope="col" className="num">
              {t('concepts.applications')}
            </th>
            <th scope="col">{t('concepts.gate')}</th>
            <th scope="col">{t('concepts.created')}</th>
          </>
        }
        row={(c) => (
          <tr data-testid="concept-row">
            <th scope="row">
              <Link to={`/concepts/${c.id}`}>{c.title}</Link>
            </th>
            <td>
              <PhaseBadge phase={c.phase} />
            </td>
            <td className="num">{c.index.value.toFixed(2)}</td>
            <td className="num">{number(c.index.ratings)}</td>
            <td className="num">
              {number(c.applications.applied)} / {number(c.applications.picked)}
            </td>
            <td>{c.gate.passes ? t('concepts.gatePasses') : t('concepts.gateFails')}</td>
            <td>{formatDateTime(c.createdAt)}</td>
          </tr>
        )}
      />
    </>
  );
}

/** "colour: black, navy" per line → the API's options. */
function parseOptions(text: string): ConceptInput['options'] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [name, values = ''] = line.split(/[:：]/, 2);
      return {
        name: name.trim(),
        values: values
          .split(/[,，]/)
          .map((v) => v.trim())
          .filter(Boolean),
      };
    });
}

function ProposeForm({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const propose = useProposeConcept();
  const today = shanghaiDay(new Date());
  const [fields, setFields] = useState({
    title: '',
    description: '',
    photos: '',
    options: '',
    targetPrice: '',
    minimumRun: '300',
    trialPlaces: '20',
    opens: today,
    closes: shanghaiDay(new Date(Date.now() + 14 * DAY_MS)),
  });
  const set = (key: keyof typeof fields) => (e: { target: { value: string } }) => setFields({ ...fields, [key]: e.target.value });
  const fieldErrors = propose.error instanceof ApiError ? propose.error.fieldErrors : [];
  const labels: Record<keyof typeof fields, string> = {
    title: t('concepts.form.name'),
    description: t('concepts.form.description'),
    photos: t('concepts.form.photos'),
    options: t('concepts.form.options'),
    targetPrice: t('concepts.form.targetPrice'),
    minimumRun: t('concepts.form.minimumRun'),
    trialPlaces: t('concepts.form.trialPlaces'),
    opens: t('concepts.form.opens'),
    closes: t('concepts.form.closes'),
  };
  // The API names the body's fields (body.photoUrls.0); the planner knows them by the form's labels.
  const labelOf = (path: string) => {
    const name = path.split('.')[1];
    const key = (Object.hasOwn(BODY_FIELDS, name) ? BODY_FIELDS[name] : undefined) as keyof typeof fields | undefined;
    return key ? labels[key] : path.replace(/^body\./, '');
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    propose.mutate(
      {
        title: fields.title.trim(),
        description: fields.description.trim(),
        photoUrls: fields.photos
          .split('\n')
          .map((u) => u.trim())
          .filter(Boolean),
        options: parseOptions(fields.options),
        // Whole yuan are written "699"; the API takes "699.00".
        targetPrice: /^\d+$/.test(fields.targetPrice.trim()) ? `${fields.targetPrice.trim()}.00` : fields.targetPrice.trim(),
        minimumRun: Number(fields.minimumRun),
        trialPlaces: Number(fields.trialPlaces),
        trialOpensAt: `${fields.opens}T00:00:00+08:00`,
        trialClosesAt: `${fields.closes}T23:59:59+08:00`,
      },
      { onSuccess: (concept) => void navigate(`/concepts/${concept.id}`) },
    );
  };

  const field = (key: keyof typeof fields, label: string, input: 'text' | 'number' | 'date' | 'textarea', hint?: string) => (
    <div className="field">
      <label htmlFor={`concept-${key}`}>{label}</label>
      {input === 'textarea' ? (
        <textarea id={`concept-${key}`} rows={3} value={fields[key]} onChange={set(key)} />
      ) : (
        <input id={`concept-${key}`} type={input} inputMode={input === 'number' ? 'decimal' : undefined} value={fields[key]} onChange={set(key)} />
      )}
      {hint && <p className="hint">{hint}</p>}
    </div>
  );

  return (
    <section aria-labelledby="propose-heading" className="card">
      <h2 id="propose-heading">{t('concepts.form.title')}</h2>
      <p className="muted">{t('concepts.form.intro')}</p>
      <form className="stacked-form" onSubmit={submit} noValidate data-testid="concept-form">
        {field('title', labels.title, 'text')}
        {field('description', labels.description, 'textarea')}
        {field('photos', labels.photos, 'textarea')}
        {field('options', labels.options, 'textarea', t('concepts.form.optionsHint'))}
        {field('targetPrice', labels.targetPrice, 'text')}
        {field('minimumRun', labels.minimumRun, 'number')}
        {field('trialPlaces', labels.trialPlaces, 'number')}
        {field('opens', labels.opens, 'date')}
        {field('closes', labels.closes, 'date')}
        {fieldErrors.length > 0 && (
          <div className="field-error" role="alert">
            {t('concepts.form.invalid')}
            <ul>
              {fieldErrors.map((e) => (
                <li key={e.path}>
                  {labelOf(e.path)}：{fieldErrorText(e, t)}
                </li>
              ))}
            </ul>
          </div>
        )}
        {propose.isError && fieldErrors.length === 0 && <ActionError error={propose.error} />}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={propose.isPending}>
            {propose.isPending ? t('concepts.form.submitting') : t('concepts.form.submit')}
          </button>
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
