import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useAnswerMarks, useMarkSubjects, useSubjectMarks } from '../api/queries';
import type { MarkTally } from '../api/types';
import { PagedTable } from '../components/PagedTable';
import { Pager } from '../components/Pager';
import { ActionError, Empty, QueryView } from '../components/StateViews';
import { useLanguage } from '../i18n';
import { formatDateTime, formatNumber, formatPercent } from '../lib/format';

/** 红黑榜 (docs/selection.md § 红黑榜): the factory's marked subjects (itself and its campaigns) with their counted marks. */
export function Marks() {
  const { t } = useTranslation();
  const language = useLanguage();
  const [offset, setOffset] = useState(0);
  const subjects = useMarkSubjects(offset);
  return (
    <>
      <h1 id="marks-heading">{t('marks.title')}</h1>
      <p className="muted">{t('marks.intro')}</p>
      <PagedTable
        query={subjects}
        empty={t('marks.empty')}
        labelledBy="marks-heading"
        testId="mark-subjects"
        keyOf={(item) => item.subject.id}
        onOffset={setOffset}
        head={
          <>
            <th scope="col">{t('marks.subject')}</th>
            <th scope="col" className="num">
              {t('marks.red')}
            </th>
            <th scope="col" className="num">
              {t('marks.black')}
            </th>
            <th scope="col" className="num">
              {t('marks.redBound')}
            </th>
            <th scope="col" className="num">
              {t('marks.blackBound')}
            </th>
            <th scope="col">{t('marks.answerTitle')}</th>
          </>
        }
        row={(item) => (
          <tr data-testid="mark-subject-row" data-subject-id={item.subject.id}>
            <th scope="row">
              <Link to={`/marks/${item.subject.id}`}>
                {t(`marks.kind.${item.subject.kind}`)} · {item.subject.label}
              </Link>
            </th>
            <td className="num">{formatNumber(item.red, language)}</td>
            <td className="num">{formatNumber(item.black, language)}</td>
            <td className="num">{formatPercent(item.redBound * 100, language)}</td>
            <td className="num">{formatPercent(item.blackBound * 100, language)}</td>
            <td>{item.answer ? t('marks.answered') : t('marks.notAnswered')}</td>
          </tr>
        )}
      />
      <p className="hint">{t('marks.boundRule')}</p>
    </>
  );
}

/** One subject's marks with their reasons (never who marked), and the factory's one public answer. */
export function MarkSubject() {
  const { t } = useTranslation();
  const language = useLanguage();
  const { id = '' } = useParams();
  const [offset, setOffset] = useState(0);
  const marks = useSubjectMarks(id, offset);
  return (
    <>
      <p>
        <Link to="/marks">{t('marks.back')}</Link>
      </p>
      <QueryView query={marks}>
        {(data) => (
          <>
            <h1 id="subject-heading">
              {t(`marks.kind.${data.tally.subject.kind}`)} · {data.tally.subject.label}
            </h1>
            <p data-testid="subject-counts">
              {t('marks.red')} {formatNumber(data.tally.red, language)} · {t('marks.black')} {formatNumber(data.tally.black, language)}
            </p>
            <Answer tally={data.tally} />
            <h2 id="subject-marks-heading">{t('marks.marks')}</h2>
            {data.items.length === 0 ? (
              <Empty>{t('marks.noMarks')}</Empty>
            ) : (
              <>
                <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="subject-marks-heading">
                  <table data-testid="subject-marks">
                    <thead>
                      <tr>
                        <th scope="col">{t('marks.color')}</th>
                        <th scope="col">{t('marks.reason')}</th>
                        <th scope="col">{t('marks.markedAt')}</th>
                        <th scope="col">{t('marks.counted')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.items.map((mark, i) => (
                        <tr key={`${mark.markedAt}-${i}`} data-testid="subject-mark">
                          <td>{t(mark.color === 'red' ? 'marks.red' : 'marks.black')}</td>
                          <td>{mark.reason}</td>
                          <td>{formatDateTime(mark.markedAt)}</td>
                          <td>{t(mark.counted ? 'marks.countedYes' : 'marks.countedNo')}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager page={data} onOffset={setOffset} />
              </>
            )}
          </>
        )}
      </QueryView>
    </>
  );
}

function Answer({ tally }: { tally: MarkTally }) {
  const { t } = useTranslation();
  const answer = useAnswerMarks(tally.subject.id);
  const [text, setText] = useState('');
  if (tally.answer)
    return (
      <p className="notice" data-testid="marks-answer">
        {t('marks.yourAnswer', { time: formatDateTime(tally.answer.answeredAt), text: tally.answer.text })}
      </p>
    );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    answer.mutate(text.trim());
  };
  return (
    <section aria-labelledby="answer-heading">
      <h2 id="answer-heading">{t('marks.answerTitle')}</h2>
      <form className="inline-form" onSubmit={submit} data-testid="answer-form">
        <div className="field">
          <label htmlFor="marks-answer">{t('marks.answerLabel')}</label>
          <textarea id="marks-answer" value={text} onChange={(e) => setText(e.target.value)} rows={3} maxLength={1000} aria-describedby="marks-answer-hint" />
          <p className="hint" id="marks-answer-hint">
            {t('marks.answerHint')}
          </p>
        </div>
        <button type="submit" className="primary" disabled={answer.isPending || text.trim().length < 2}>
          {t('marks.submit')}
        </button>
      </form>
      {answer.isError && <ActionError error={answer.error} />}
    </section>
  );
}
