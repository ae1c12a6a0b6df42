import { z } from 'zod';
import { pageQuery } from '../platform/http/paginate';
import { idSchema as id } from '../platform/ids';
import { shownText } from '../platform/text';
import { MARK_COLORS, SUBJECT_KINDS, type MarkRow, type MarkSubjectRow } from './mark.entity';
import { normaliseSubjectText, type SubjectMark, type Tally } from './marks';

const kind = z.enum(SUBJECT_KINDS).meta({ description: 'campaign (a product), factory, brand or origin (产地, e.g. 赣南)' });
const color = z.enum(MARK_COLORS).meta({ description: 'red: 红, recommend; black: 黑, do not' });
/** A brand's or origin's name, 1 to 64 characters once normalised (NFKC, trimmed, spaces collapsed). */
const subjectText = z
  .string()
  .transform(normaliseSubjectText)
  .pipe(shownText(1, 64))
  .meta({ description: 'The name; "赣南 " and "赣南", "Ｎｉｋｅ" and "nike" are one subject (NFKC, trimmed, spaces collapsed, Latin case ignored)' });
const reason = shownText(2, 500).meta({ description: 'Why: 2 to 500 characters, required' });

export const MarkBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['campaign', 'factory']), subject: id.meta({ description: "The campaign's or factory's id" }), color, reason }),
  z.strictObject({ kind: z.enum(['brand', 'origin']), subject: subjectText, color, reason }),
]);

export const MarkSubjectParams = z.strictObject({ id });

export const BoardQuery = pageQuery.extend({ kind, board: color.meta({ description: 'red: 红榜 (by the red share), black: 黑榜 (by the black share)' }) });

export const MyMarksQuery = pageQuery.extend({
  kind: kind.optional(),
  subject: z.string().max(64).optional().meta({ description: 'With kind: only the mark of this subject (an id, or a name)' }),
});

export const AnswerBody = z.strictObject({ answer: shownText(2, 1000) });

export const MarkSubjectDocument = z
  .object({
    id: z.uuid(),
    kind,
    ref: z.string().meta({ description: "The campaign's or factory's id, or the brand's or origin's normalised name (lower-case Latin)" }),
    label: z.string().meta({ description: "What to show: the campaign's title, the factory's name, or the name as first marked" }),
  })
  .meta({ id: 'MarkSubject' });

const bound = z.number().min(0).max(1);

export const MarkTallyDocument = z
  .object({
    subject: MarkSubjectDocument,
    red: z.int().meta({ description: 'Counted 红 marks (docs/selection.md § Who counts)' }),
    black: z.int().meta({ description: 'Counted 黑 marks' }),
    redBound: bound.meta({ description: 'Wilson lower bound (95%) of the red share: what 红榜 ranks by' }),
    blackBound: bound.meta({ description: 'Wilson lower bound (95%) of the black share: what 黑榜 ranks by' }),
    answer: z.object({ text: z.string(), answeredAt: z.iso.datetime() }).nullable().meta({ description: "The factory's one public answer, or null" }),
  })
  .meta({ id: 'MarkTally' });

export const MyMarkDocument = z.object({ subject: MarkSubjectDocument, color, reason: z.string(), markedAt: z.iso.datetime() }).meta({ id: 'MyMark' });

export const SubjectMarksDocument = z
  .object({
    tally: MarkTallyDocument,
    items: z.array(
      z.object({
        color,
        reason: z.string(),
        markedAt: z.iso.datetime(),
        counted: z.boolean().meta({ description: "Whether it counts now (the marker's account age and activity); who marked is never shown" }),
      }),
    ),
    total: z.int(),
    limit: z.int(),
    offset: z.int(),
  })
  .meta({ id: 'SubjectMarks' });

export function toMarkSubjectDto(s: MarkSubjectRow): z.output<typeof MarkSubjectDocument> {
  return { id: s.id, kind: s.kind, ref: s.key, label: s.label };
}

export function toMarkTallyDto(t: Tally): z.output<typeof MarkTallyDocument> {
  const { subject } = t;
  return {
    subject: toMarkSubjectDto(subject),
    red: t.red,
    black: t.black,
    redBound: t.redBound,
    blackBound: t.blackBound,
    answer: subject.answer !== null && subject.answeredAt ? { text: subject.answer, answeredAt: subject.answeredAt.toISOString() } : null,
  };
}

export function toMyMarkDto({ subject, mark }: { subject: MarkSubjectRow; mark: MarkRow }): z.output<typeof MyMarkDocument> {
  return { subject: toMarkSubjectDto(subject), color: mark.color, reason: mark.reason, markedAt: mark.markedAt.toISOString() };
}

export function toSubjectMarkDto({ mark, counted }: SubjectMark): z.output<typeof SubjectMarksDocument>['items'][number] {
  return { color: mark.color, reason: mark.reason, markedAt: mark.markedAt.toISOString(), counted };
}
