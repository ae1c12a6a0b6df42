import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, type FieldError } from '../../api/client';
import { ActionError, fieldErrorText, QueryView } from '../../components/StateViews';
import { type CampaignForm, bodyOf, editOf, emptyForm, formOf } from './form';
import { Preview } from './Preview';
import { type OperatorCampaign, useCampaign, useCreateCampaign, useFactories, usePreview, useUpdateCampaign } from './queries';
import { Warnings } from './Warnings';
import './campaigns.css';

/** 新建活动: an empty draft's form. */
export function NewCampaign() {
  return <CampaignEditor />;
}

/** 编辑草稿: a draft's form (a published campaign is not editable: its page says why). */
export function EditCampaign() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  return (
    <QueryView query={campaign}>
      {(c) =>
        c.status === 'draft' ? (
          <CampaignEditor campaign={c} />
        ) : (
          <p className="notice" role="status">
            {t('apiError.campaign_not_draft')} <Link to={`/console/campaigns/${c.id}`}>{c.title}</Link>
          </p>
        )
      }
    </QueryView>
  );
}

/** The form's text after it has stopped changing for a moment: the preview is asked once per pause, not per key. */
function useSettled<T>(value: T, ms = 400): T {
  const [settled, setSettled] = useState(value);
  const text = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(JSON.parse(text) as T), ms);
    return () => clearTimeout(timer);
  }, [text, ms]);
  return settled;
}

function CampaignEditor({ campaign }: { campaign?: OperatorCampaign }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [form, setForm] = useState<CampaignForm>(() => (campaign ? formOf(campaign) : emptyForm(new Date())));
  const factories = useFactories();
  const create = useCreateCampaign();
  const update = useUpdateCampaign(campaign?.id ?? '');
  const save = campaign ? update : create;
  const settled = useSettled(form);
  const body = useMemo(() => (settled.factoryId ? bodyOf(settled) : undefined), [settled]);
  const preview = usePreview(body);
  const previewErrors = preview.error instanceof ApiError ? preview.error.fieldErrors : [];
  const saveErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  // What the last save refused, until the form changes; else what the live preview refuses.
  const fieldErrors = saveErrors.length > 0 ? saveErrors : previewErrors;

  const change = (patch: Partial<CampaignForm>) => {
    save.reset();
    setForm((f) => ({ ...f, ...patch }));
  };
  const text = (key: keyof CampaignForm) => ({
    id: `cc-${key}`,
    value: form[key] as string,
    onChange: (e: { target: { value: string } }) => change({ [key]: e.target.value } as Partial<CampaignForm>),
    'aria-invalid': fieldErrors.some((e) => e.path === `body.${key === 'depositPercent' ? 'depositRate' : key}`) || undefined,
  });
  const setOption = (i: number, patch: Partial<CampaignForm['options'][number]>) =>
    change({ options: form.options.map((o, j) => (j === i ? { ...o, ...patch } : o)) });
  const setValue = (i: number, k: number, patch: Partial<{ key: string; zh: string }>) =>
    setOption(i, { values: form.options[i].values.map((v, j) => (j === k ? { ...v, ...patch } : v)) });
  const setTier = (i: number, patch: Partial<CampaignForm['tiers'][number]>) => change({ tiers: form.tiers.map((tier, j) => (j === i ? { ...tier, ...patch } : tier)) });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (campaign) update.mutate(editOf(form), { onSuccess: (c) => void navigate(`/console/campaigns/${c.id}`) });
    else create.mutate(bodyOf(form), { onSuccess: (c) => void navigate(`/console/campaigns/${c.id}`) });
  };

  const label = useFieldLabel();
  const field = (key: keyof CampaignForm, name: string, input: ReactNode, hint?: string) => (
    <div className="field">
      <label htmlFor={`cc-${key}`}>{name}</label>
      {input}
      {hint && <p className="hint">{hint}</p>}
    </div>
  );
  const e = 'console.campaigns.editor';

  return (
    <>
      <p className="breadcrumb">
        <Link to="/console/campaigns">{t('console.campaigns.detail.back')}</Link>
        {campaign && (
          <>
            {' / '}
            <Link to={`/console/campaigns/${campaign.id}`}>{campaign.title}</Link>
          </>
        )}
      </p>
      <h1>{campaign ? t(`${e}.editTitle`) : t(`${e}.newTitle`)}</h1>
      <p className="muted">{t(`${e}.intro`)}</p>
      <div className="campaign-editor">
        <form className="stacked-form" onSubmit={submit} noValidate data-testid="campaign-form">
          <fieldset>
            <legend>{t(`${e}.sections.product`)}</legend>
            {field(
              'factoryId',
              t(`${e}.factory`),
              <select {...text('factoryId')}>
                <option value="">{t(`${e}.chooseFactory`)}</option>
                {factories.data?.items.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>,
            )}
            {field('title', t(`${e}.title`), <input type="text" {...text('title')} />)}
            {field('productName', t(`${e}.productName`), <input type="text" {...text('productName')} />)}
            {field('description', t(`${e}.description`), <textarea rows={3} {...text('description')} />)}
            {field('imageUrl', t(`${e}.imageUrl`), <input type="url" {...text('imageUrl')} />)}
          </fieldset>

          <fieldset>
            <legend>{t(`${e}.sections.options`)}</legend>
            {form.options.map((o, i) => (
              <div key={i} className="option-editor" role="group" aria-label={`${t(`${e}.sections.options`)} ${i + 1}`}>
                <div className="field-row">
                  <div className="field">
                    <label htmlFor={`cc-option-${i}-name`}>{t(`${e}.optionKey`)}</label>
                    <input id={`cc-option-${i}-name`} value={o.name} onChange={(ev) => setOption(i, { name: ev.target.value })} />
                  </div>
                  <div className="field">
                    <label htmlFor={`cc-option-${i}-zh`}>{t(`${e}.optionZh`)}</label>
                    <input id={`cc-option-${i}-zh`} value={o.zh} onChange={(ev) => setOption(i, { zh: ev.target.value })} />
                  </div>
                  <div className="field">
                    <label htmlFor={`cc-option-${i}-en`}>{t(`${e}.optionEn`)}</label>
                    <input id={`cc-option-${i}-en`} value={o.en} onChange={(ev) => setOption(i, { en: ev.target.value })} />
                  </div>
                </div>
                {o.values.map((v, k) => (
                  <div key={k} className="field-row value-row">
                    <div className="field">
                      <label htmlFor={`cc-option-${i}-value-${k}`}>{t(`${e}.valueKey`)}</label>
                      <input id={`cc-option-${i}-value-${k}`} value={v.key} onChange={(ev) => setValue(i, k, { key: ev.target.value })} />
                    </div>
                    <div className="field">
                      <label htmlFor={`cc-option-${i}-value-${k}-zh`}>{t(`${e}.valueZh`)}</label>
                      <input id={`cc-option-${i}-value-${k}-zh`} value={v.zh} onChange={(ev) => setValue(i, k, { zh: ev.target.value })} />
                    </div>
                    {o.values.length > 1 && (
                      <button type="button" onClick={() => setOption(i, { values: o.values.filter((_, j) => j !== k) })}>
                        {t(`${e}.removeValue`)}
                      </button>
                    )}
                  </div>
                ))}
                <div className="form-actions">
                  <button type="button" onClick={() => setOption(i, { values: [...o.values, { key: '', zh: '' }] })}>
                    {t(`${e}.addValue`)}
                  </button>
                  {form.options.length > 1 && (
                    <button type="button" onClick={() => change({ options: form.options.filter((_, j) => j !== i) })}>
                      {t(`${e}.removeOption`)}
                    </button>
                  )}
                </div>
              </div>
            ))}
            <button type="button" onClick={() => change({ options: [...form.options, { name: '', zh: '', en: '', values: [{ key: '', zh: '' }] }] })}>
              {t(`${e}.addOption`)}
            </button>
          </fieldset>

          <fieldset>
            <legend>{t(`${e}.sections.money`)}</legend>
            {field('referencePrice', t(`${e}.referencePrice`), <input type="text" inputMode="decimal" {...text('referencePrice')} />)}
            {field('depositPercent', t(`${e}.depositRate`), <input type="text" inputMode="decimal" {...text('depositPercent')} />, t(`${e}.depositRateHint`))}
            {field(
              'depositCreditRate',
              t(`${e}.depositCreditRate`),
              <input type="text" inputMode="decimal" {...text('depositCreditRate')} />,
              t(`${e}.depositCreditRateHint`),
            )}
          </fieldset>

          <fieldset>
            <legend>{t(`${e}.sections.tiers`)}</legend>
            <p className="hint">{t(`${e}.tierHint`)}</p>
            {form.tiers.map((tier, i) => (
              <div key={i} className="field-row" role="group" aria-label={`${t(`${e}.sections.tiers`)} ${i + 1}`}>
                <div className="field">
                  <label htmlFor={`cc-tier-${i}-units`}>{t(`${e}.tierUnits`)}</label>
                  <input id={`cc-tier-${i}-units`} inputMode="numeric" value={tier.minUnits} onChange={(ev) => setTier(i, { minUnits: ev.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`cc-tier-${i}-price`}>{t(`${e}.tierPrice`)}</label>
                  <input id={`cc-tier-${i}-price`} inputMode="decimal" value={tier.unitPrice} onChange={(ev) => setTier(i, { unitPrice: ev.target.value })} />
                </div>
                {form.tiers.length > 1 && (
                  <button type="button" onClick={() => change({ tiers: form.tiers.filter((_, j) => j !== i) })}>
                    {t(`${e}.removeTier`)}
                  </button>
                )}
              </div>
            ))}
            <button type="button" onClick={() => change({ tiers: [...form.tiers, { minUnits: '', unitPrice: '' }] })}>
              {t(`${e}.addTier`)}
            </button>
          </fieldset>

          <fieldset>
            <legend>{t(`${e}.sections.limits`)}</legend>
            {field('maxUnits', t(`${e}.maxUnits`), <input type="text" inputMode="numeric" {...text('maxUnits')} />)}
            {field('perConsumerLimit', t(`${e}.perConsumerLimit`), <input type="text" inputMode="numeric" {...text('perConsumerLimit')} />)}
            {field('variantMinUnits', t(`${e}.variantMinUnits`), <input type="text" inputMode="numeric" {...text('variantMinUnits')} />)}
          </fieldset>

          <fieldset>
            <legend>{t(`${e}.sections.dates`)}</legend>
            {field('opensAt', t(`${e}.opensAt`), <input type="datetime-local" {...text('opensAt')} />)}
            {field('closesAt', t(`${e}.closesAt`), <input type="datetime-local" {...text('closesAt')} />)}
            {field('balanceWindowHours', t(`${e}.balanceWindowHours`), <input type="text" inputMode="numeric" {...text('balanceWindowHours')} />)}
            {field('expectedShipDate', t(`${e}.expectedShipDate`), <input type="date" {...text('expectedShipDate')} />)}
          </fieldset>

          {fieldErrors.length > 0 && (
            <div className="field-error" role="alert" data-testid="campaign-field-errors">
              {t(`${e}.invalid`)}
              <ul>
                {fieldErrors.map((error) => (
                  <li key={error.path}>
                    {label(error)}：{fieldErrorText(error, t)}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {save.isError && saveErrors.length === 0 && <ActionError error={save.error} />}
          <div className="form-actions">
            <button type="submit" className="primary" disabled={save.isPending}>
              {save.isPending ? t(`${e}.saving`) : t(`${e}.save`)}
            </button>
            <Link className="button" to={campaign ? `/console/campaigns/${campaign.id}` : '/console/campaigns'}>
              {t(`${e}.cancelEdit`)}
            </Link>
          </div>
        </form>

        <aside aria-labelledby="preview-heading" className="campaign-editor-preview">
          <section className="card">
            <h2 id="preview-heading">{t('console.campaigns.preview.title')}</h2>
            {preview.isFetching && (
              <p className="hint" role="status">
                {t('console.campaigns.preview.updating')}
              </p>
            )}
            {preview.data && !preview.isError ? <Preview preview={preview.data} /> : <p className="muted">{t('console.campaigns.preview.unavailable')}</p>}
          </section>
          {preview.data && !preview.isError && <Warnings warnings={preview.data.warnings} />}
        </aside>
      </div>
    </>
  );
}

/** A bad field's place in the form, in the operator's words: "阶梯价 2 · 单价（元）". */
function useFieldLabel(): (error: FieldError) => string {
  const { t } = useTranslation();
  const e = 'console.campaigns.editor';
  const simple: Record<string, string> = {
    factoryId: t(`${e}.factory`),
    title: t(`${e}.title`),
    productName: t(`${e}.productName`),
    description: t(`${e}.description`),
    imageUrl: t(`${e}.imageUrl`),
    options: t(`${e}.sections.options`),
    referencePrice: t(`${e}.referencePrice`),
    depositRate: t(`${e}.depositRate`),
    depositCreditRate: t(`${e}.depositCreditRate`),
    tiers: t(`${e}.sections.tiers`),
    maxUnits: t(`${e}.maxUnits`),
    perConsumerLimit: t(`${e}.perConsumerLimit`),
    variantMinUnits: t(`${e}.variantMinUnits`),
    opensAt: t(`${e}.opensAt`),
    closesAt: t(`${e}.closesAt`),
    balanceWindowHours: t(`${e}.balanceWindowHours`),
    expectedShipDate: t(`${e}.expectedShipDate`),
  };
  return (error) => {
    const [, name, index, part, ...rest] = error.path.split('.');
    const place = Object.hasOwn(simple, name) ? simple[name] : name;
    if (index === undefined || !/^\d+$/.test(index)) return place;
    const at = `${place} ${Number(index) + 1}`;
    if (name === 'tiers') return `${at} · ${part === 'unitPrice' ? t(`${e}.tierPrice`) : t(`${e}.tierUnits`)}`;
    if (name === 'options') {
      if (part === 'name') return `${at} · ${t(`${e}.optionKey`)}`;
      if (part === 'label') return `${at} · ${rest[0] === 'en' ? t(`${e}.optionEn`) : t(`${e}.optionZh`)}`;
      if (part === 'values' || part === 'valueLabels') return `${at} · ${part === 'values' ? t(`${e}.valueKey`) : t(`${e}.valueZh`)}`;
    }
    return at;
  };
}
