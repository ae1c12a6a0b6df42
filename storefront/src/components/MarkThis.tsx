import { useState } from 'react';
import type { Campaign, MyMark, Page } from '../api/types';
import { useI18n } from '../i18n';
import { useResource } from '../lib/resource';
import { useSession } from '../session';
import { MarkForm } from './MarkForm';

/** On a campaign's page, for an approved shop owner: their 红黑榜 mark of this product, or the form to mark it. */
export default function MarkThis({ campaign }: { campaign: Campaign }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [editing, setEditing] = useState(false);
  const key = `marks:campaign:${campaign.id}`;
  const mine = useResource<Page<MyMark>>(key, (signal) => api('GET', `/v1/marks/mine?kind=campaign&subject=${encodeURIComponent(campaign.id)}`, { signal }));
  const current = mine.data?.items[0];
  if (!mine.data) return null;
  return (
    <section className="card" aria-labelledby="mark-this-title" data-testid="mark-this">
      <h2 id="mark-this-title">{t('marks.campaignTitle')}</h2>
      {current && !editing ? (
        <>
          <p data-testid="my-campaign-mark">
            {t('marks.current', { color: t(current.color === 'red' ? 'marks.redMark' : 'marks.blackMark'), reason: current.reason })}
          </p>
          <button type="button" className="button" onClick={() => setEditing(true)}>
            {t('marks.change')}
          </button>
        </>
      ) : (
        <>
          <p className="hint">{t('marks.campaignHint')}</p>
          <MarkForm
            subject={{ kind: 'campaign', ref: campaign.id, label: campaign.title }}
            current={current}
            onSaved={(mark) => {
              mine.set({ items: [mark], total: 1, limit: 20, offset: 0 });
              setEditing(false);
            }}
          />
        </>
      )}
    </section>
  );
}
