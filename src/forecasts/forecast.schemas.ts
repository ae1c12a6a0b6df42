import { DateTime } from 'luxon';
import { z } from 'zod';
import { variantFromKey } from '../campaigns';
import { deliveryErrorKind } from '../factories';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { idSchema as id } from '../platform/ids';
import { toCsv } from '../platform/csv';
import { pageQuery } from '../platform/http/paginate';
import { ACKNOWLEDGE_WITHIN_MS, type BatchDetail, type BatchSummary, type DeliveryView, batchPayload } from './forecast.service';
import type { Answer, RowResult } from './upload';

export const BatchParams = z.strictObject({ id });
export const BatchQuery = z.strictObject({ format: z.enum(['json', 'csv']).optional() });

const LineAnswer = z.strictObject({
  lineId: id,
  quantity: z.number().int().min(0).max(10_000_000),
  shipBy: z.iso.date('must be a date such as 2027-01-15'),
  reason: z.enum(['capacity', 'material', 'other']).optional(),
  note: z.string().trim().max(500).optional(),
});

/** `{lines: [...]}`; a single line's answer may also be sent on its own. */
export const CommitBody = z.preprocess(
  (body) => (body !== null && typeof body === 'object' && !Array.isArray(body) && 'lineId' in body && !('lines' in body) ? { lines: [body] } : body),
  z.strictObject({
    lines: z
      .array(LineAnswer)
      .min(1)
      .max(5000)
      .refine((lines) => new Set(lines.map((l) => l.lineId)).size === lines.length, 'each line at most once'),
  }),
);

const Cell = z
  .union([z.string().max(200), z.number()])
  .nullable()
  .optional()
  .meta({ description: 'A cell as read from the file (text, as a spreadsheet saved it, or a number); empty, null or absent when blank' });

const UploadRowSchema = z.strictObject({
  version: Cell.meta({ description: "The file's 版本 version column: a row of another version's file is refused (other_version)" }),
  line: Cell.meta({ description: 'The 行 line column: the line number in this batch' }),
  quantity: Cell.meta({
    description: 'The 承诺量 committed column: a whole number of units (1,200 and 120.0 read as such); a row with no quantity, ship-by or reason is skipped',
  }),
  shipBy: Cell.meta({
    description:
      "The 最晚出货 ship by column: 2027-01-31, 2027/1/31 or 2027年1月31日; empty: the line's current answer's date, else the Sunday of its ship week (today once that has passed)",
  }),
  reason: Cell.meta({ description: 'The 原因 reason column: capacity, material or other (or 产能不足, 物料不足, 其他原因); required below the firm units' }),
  note: z
    .string()
    .trim()
    .max(500)
    .nullable()
    .optional()
    .meta({ description: 'A note, if the file has such a column; without one a changed answer has none, an unchanged one keeps its note' }),
});

/** A batch's CSV as the planner filled it in, one object per row, its cells as read. */
export const CommitRowsBody = z.strictObject({
  rows: z.array(UploadRowSchema).min(1).max(5000),
  preview: z.boolean().optional().meta({ description: 'true: only say what committing would do (each row checked, nothing written)' }),
});

const counts = {
  paidUnits: z.int().meta({
    description:
      'Units whose deposit is paid and not given back (active, awaiting balance, paid or forfeited), as in campaign progress. Glossary in docs/domain.md.',
  }),
  awaitingDepositUnits: z.int().meta({ description: 'Units pledged whose deposit is not yet paid (held against the cap until paid or expired)' }),
  awaitingBalanceUnits: z.int().meta({ description: 'Units of a succeeded campaign whose balance is due' }),
  paidBalanceUnits: z.int().meta({ description: 'Units whose balance is paid (purchases complete)' }),
};
/** Firm units are deposit-backed; expected units come with a low–high range. */
const range = { firmUnits: z.int(), expectedUnits: z.int(), lowUnits: z.int(), highUnits: z.int() };

const UnitsDocument = z
  .object({ ...counts, ...range })
  .meta({ id: 'Units', description: 'Units of a variant or a campaign. Firm units are deposit-backed; expected units come with a low–high range.' });

export const LiveForecastDocument = z
  .object({
    generatedAt: z.iso.datetime(),
    balanceConversion: z.object({ rate: z.number(), source: z.enum(['history', 'default']) }),
    campaigns: z.array(
      z.object({
        kind: z.literal('campaign').meta({ description: "Always campaign here: as a batch line's kind" }),
        sourceKey: z.uuid().meta({ description: "The campaign's id (the same as campaignId), as a batch line's sourceKey" }),
        campaignId: z.uuid(),
        title: z.string(),
        productName: z.string(),
        status: z.string(),
        closesAt: z.iso.datetime(),
        expectedShipDate: z.iso.date(),
        shipWeek: z.string().meta({ examples: ['2027-W03'] }),
        variants: z.array(z.intersection(UnitsDocument, z.object({ variant: z.string().meta({ description: 'A VariantKey' }) }))),
        totals: UnitsDocument,
        daily: z.array(z.object({ day: z.iso.date(), pledgedUnits: z.int(), pledges: z.int(), depositPaidUnits: z.int() })).meta({
          description:
            'Per business day (Asia/Shanghai): pledgedUnits and pledges placed that day, whatever became of them later; depositPaidUnits, units whose deposit was paid that day',
        }),
      }),
    ),
    supplies: z
      .array(
        z.object({
          kind: z.literal('supply').meta({ description: "Always supply here: as a batch line's kind" }),
          sourceKey: z
            .string()
            .max(60)
            .meta({ description: 'The supply key, unique per product and stable: the sourceKey of its batch lines', examples: ['fruit:mango'] }),
          key: z.string().meta({ description: 'The same as sourceKey, kept for clients written before it', deprecated: true, examples: ['fruit:mango'] }),
          title: z.string(),
          unit: z.string().meta({ examples: ['piece', 'kg'] }),
          week: z.string(),
          ...range,
        }),
      )
      .meta({ description: 'Demand from elsewhere than campaigns, per product and ISO week of ship date (for orchards, fruit for the fruit boxes)' }),
    weeks: z.array(
      z.object({
        week: z.string(),
        unit: z
          .enum(['piece', 'kg'])
          .meta({ description: "One total per week and unit, never kg and pieces added together: piece (every campaign's units, fruit by the piece) or kg" }),
        ...range,
      }),
    ),
  })
  .meta({ id: 'LiveForecast' });

const UnitTotalDocument = z
  .object({
    unit: z.enum(['piece', 'kg']).meta({ description: "piece (every campaign's units, fruit by the piece) or kg" }),
    firmUnits: z.int(),
    expectedUnits: z.int(),
  })
  .meta({ id: 'UnitTotal', description: 'Units of one unit of measure: kilograms and pieces are never added together' });

export const BatchSummaryDocument = z
  .object({
    id: z.uuid(),
    version: z.int(),
    trigger: z.enum(['daily', 'campaign_decided', 'operator']),
    publishedAt: z.iso.datetime(),
    lineCount: z.int(),
    firmUnits: z.int().meta({
      description: "Every line's firm units added together: for an orchard kilograms and pieces alike. Read totals, per unit",
      deprecated: true,
    }),
    expectedUnits: z.int().meta({
      description: "Every line's expected units added together: for an orchard kilograms and pieces alike. Read totals, per unit",
      deprecated: true,
    }),
    totals: z.array(UnitTotalDocument).meta({
      description: 'Firm and expected units per unit of measure, pieces first; a unit no line has is left out (a manufacturer has pieces only)',
    }),
    acknowledgedAt: z.iso.datetime().nullable(),
    committedLines: z.int(),
    status: z.enum(['new', 'acknowledged', 'committed', 'late', 'superseded']).meta({
      description:
        'new, then acknowledged, then committed (every line answered); late: new for more than 24 hours; superseded: never acknowledged, and a newer version exists (its unchanged lines carry the commitments over)',
    }),
  })
  .meta({ id: 'BatchSummary' });

const BatchLineDocument = z
  .object({
    id: z.uuid(),
    lineNo: z.int(),
    kind: z.enum(['campaign', 'supply']).meta({
      description:
        "Where the demand comes from: campaign, a campaign's pledges; supply, demand from elsewhere than campaigns (for orchards, fruit for the fruit boxes)",
    }),
    sourceKey: z
      .string()
      .max(60)
      .meta({
        description:
          "What the line forecasts: on a campaign line the campaign's id; on a supply line the supply key (e.g. fruit:mango). With kind, variant and shipWeek it names the line from one version to the next",
        examples: ['fruit:mango'],
      }),
    campaignId: z.uuid().nullable().meta({ description: "The campaign's id on a campaign line (the same as sourceKey); null on a supply line" }),
    campaignTitle: z.string().meta({ description: "The campaign's title; on a supply line the product's name" }),
    productName: z.string(),
    variant: z.string().meta({ description: "A campaign line: its VariantKey; a supply line (an orchard's fruit): the unit, kg or piece" }),
    shipWeek: z.string(),
    ...range,
    change: z.enum(['new', 'changed', 'unchanged', 'removed']),
    previousFirmUnits: z.int().nullable(),
    previousExpectedUnits: z.int().nullable(),
    firmUnitsChange: z.int(),
    expectedUnitsChange: z.int(),
    commitment: z
      .object({
        quantity: z.int(),
        shipBy: z.iso.date(),
        reason: z.enum(['capacity', 'material', 'other']).nullable(),
        note: z.string().nullable(),
        committedAt: z.iso.datetime(),
        carriedFromVersion: z.int().nullable().meta({
          description:
            'The version this answer was made on, when it was carried over to this one because the line is unchanged (same firm units); null when made on this version',
        }),
      })
      .optional()
      .meta({ description: "The factory's answer, once the line is committed" }),
  })
  .meta({ id: 'BatchLine' });

export const BatchDocument = z.intersection(BatchSummaryDocument, z.object({ lines: z.array(BatchLineDocument) })).meta({ id: 'Batch' });

const UploadAnswer = z.object({
  quantity: z.int(),
  shipBy: z.iso.date(),
  reason: z.enum(['capacity', 'material', 'other']).nullable(),
  note: z.string().nullable(),
});

export const CommitRowsDocument = z
  .object({
    preview: z.boolean(),
    linesCommitted: z.int().meta({ description: 'Lines this request wrote (0 on a preview, and for rows that repeat their answer)' }),
    counts: z.object({ new: z.int(), changed: z.int(), unchanged: z.int(), skipped: z.int(), invalid: z.int() }),
    rows: z.array(
      z.object({
        outcome: z.enum(['new', 'changed', 'unchanged', 'skipped', 'invalid']).meta({
          description:
            "new: answers its line for the first time; changed: replaces the line's answer; unchanged: repeats it (nothing written); skipped: no quantity; invalid: see errors",
        }),
        lineId: z.uuid().nullable(),
        lineNo: z.int().nullable(),
        answer: UploadAnswer.nullable().meta({ description: 'The answer the row gives' }),
        previous: UploadAnswer.nullable().meta({ description: "The line's answer before this upload" }),
        errors: z.array(
          z.object({
            field: z.enum(['version', 'line', 'quantity', 'shipBy', 'reason', 'note']),
            reason: z.string().meta({
              description:
                'required, not_a_number, not_whole_number, too_small, too_big, other_version (limit: this batch’s version), not_in_batch, duplicate_line, invalid_date, date_in_past, invalid_option, reason_required (limit: the firm units)',
            }),
            limit: z.int().optional(),
            message: z.string(),
          }),
        ),
        warnings: z.array(z.object({ reason: z.enum(['above_high']), limit: z.int() })).meta({
          description: 'Allowed, worth a second look: above_high, a quantity above the forecast’s high end (the limit)',
        }),
      }),
    ),
    batch: BatchDocument,
  })
  .meta({ id: 'CommitRowsResult' });

export const WebhookDeliveryDocument = z
  .object({
    id: z.uuid(),
    batchId: z.uuid(),
    version: z.int(),
    attempt: z.int(),
    url: z.string(),
    attemptedAt: z.iso.datetime(),
    statusCode: z.int().nullable(),
    error: z.string().nullable(),
    durationMs: z.int(),
    delivered: z.boolean(),
    errorKind: deliveryErrorKind,
    manual: z.boolean().meta({ description: 'Asked for by a person (redeliver, push now), not by the automatic retries' }),
    nextAttemptAt: z.iso.datetime().nullable().meta({
      description: 'On the newest attempt of a batch not delivered: when the automatic retries try again; null otherwise (and once they have given up)',
    }),
    gaveUpAt: z.iso.datetime().nullable().meta({
      description:
        'On the newest attempt of a batch not delivered, when no automatic retry will come: this attempt was the last (until someone redelivers); null otherwise',
    }),
  })
  .meta({ id: 'WebhookDelivery' });

export const DeliveryQuery = pageQuery.extend({
  status: z.enum(['failing']).optional().meta({
    description: 'failing: only the newest attempt of each batch never delivered and newer than the newest delivered batch',
  }),
});
export const DeliveryParams = z.strictObject({ id });
export const FactoryDeliveryParams = z.strictObject({ id, deliveryId: id });

export const AccuracyDocument = z
  .object({
    versions: z.array(
      z.object({ version: z.int(), publishedAt: z.iso.datetime(), lines: z.int(), mapePercent: z.number().nullable(), biasPercent: z.number().nullable() }),
    ),
    campaigns: z.array(
      z.object({
        campaignId: z.uuid(),
        title: z.string(),
        actualUnits: z.int().meta({ description: 'Units whose balance was paid (purchases complete)' }),
        plannedUnits: z
          .int()
          .nullable()
          .meta({ description: "Units produced to plan: the factory's newest commitment on each of the campaign's lines, summed; null if it committed none" }),
        plannedRatio: z.number().nullable().meta({ description: 'Planned ÷ actual units (three decimals); null without a plan or with nothing paid' }),
        versions: z.array(z.object({ version: z.int(), publishedAt: z.iso.datetime(), expectedUnits: z.int() })),
      }),
    ),
    plan: z
      .object({
        campaigns: z.int().meta({ description: 'Completed campaigns the factory committed to' }),
        plannedUnits: z.int(),
        paidUnits: z.int(),
        ratio: z
          .number()
          .nullable()
          .meta({ description: 'Planned ÷ paid units over those campaigns (three decimals); 1 means it made exactly what was paid for' }),
      })
      .meta({ description: 'Units produced to plan against units finally paid, over the completed campaigns with commitments' }),
  })
  .meta({ id: 'ForecastAccuracy' });

export type BatchStatus = z.output<typeof BatchSummaryDocument>['status'];

/**
 * new → acknowledged → committed (every line answered); new for more than 24 hours is late, unless a
 * newer version replaced it first: then it is superseded, and nobody waits for it.
 */
export function batchStatus({ batch, committedLines, superseded }: BatchSummary, now: Date): BatchStatus {
  if (batch.acknowledgedAt) return committedLines >= batch.lineCount && batch.lineCount > 0 ? 'committed' : 'acknowledged';
  if (superseded) return 'superseded';
  return now.getTime() - batch.publishedAt.getTime() > ACKNOWLEDGE_WITHIN_MS ? 'late' : 'new';
}

export function toBatchSummaryDto(summary: BatchSummary, now: Date): z.output<typeof BatchSummaryDocument> {
  const { batch, committedLines, totals } = summary;
  return {
    id: batch.id,
    version: batch.version,
    trigger: batch.trigger,
    publishedAt: batch.publishedAt.toISOString(),
    lineCount: batch.lineCount,
    firmUnits: batch.firmUnits,
    expectedUnits: batch.expectedUnits,
    totals,
    acknowledgedAt: batch.acknowledgedAt?.toISOString() ?? null,
    committedLines,
    status: batchStatus(summary, now),
  };
}

export function toBatchDto(detail: BatchDetail, now: Date): z.output<typeof BatchDocument> {
  return { ...toBatchSummaryDto(detail, now), lines: batchPayload(detail.batch, detail.lines, detail.commitments).lines };
}

const CSV_HEADER = [
  '版本 version',
  '发布时间 published (Asia/Shanghai)',
  '行 line',
  '活动 campaign',
  '产品 product',
  '款式 variant',
  '出货周 ship week',
  '确定量 firm units',
  '预计量 expected units',
  '下限 low',
  '上限 high',
  '变化 change',
  '确定量变化 firm change',
  '预计量变化 expected change',
  '承诺量 committed',
  '最晚出货 ship by',
  '原因 reason',
  '类型 kind',
  '来源键 source key',
];

/**
 * One row per line. After the fixed columns, one column per option of the batch's campaigns (colour,
 * size, …, in the order they first appear), so planners can pivot by colour and size; a line without
 * that option (a supply line, another product) leaves it empty.
 */
export function toBatchCsv(detail: BatchDetail): string {
  const published = DateTime.fromJSDate(detail.batch.publishedAt, { zone: BUSINESS_TIME_ZONE }).toFormat('yyyy-MM-dd HH:mm');
  const { lines } = batchPayload(detail.batch, detail.lines, detail.commitments);
  const values = lines.map((l) => (l.kind === 'campaign' ? variantFromKey(l.variant) : {}));
  const options = [...new Set(values.flatMap((v) => Object.keys(v)))];
  return toCsv(
    [...CSV_HEADER, ...options.map((name) => `规格 ${name}`)],
    lines.map((l, i) => [
      detail.batch.version,
      published,
      l.lineNo,
      l.campaignTitle,
      l.productName,
      l.variant,
      l.shipWeek,
      l.firmUnits,
      l.expectedUnits,
      l.lowUnits,
      l.highUnits,
      l.change,
      l.firmUnitsChange,
      l.expectedUnitsChange,
      l.commitment?.quantity ?? null,
      l.commitment?.shipBy ?? null,
      l.commitment?.reason ?? null,
      // After the older columns, so that the columns a factory's import already reads keep their places.
      l.kind,
      l.sourceKey,
      ...options.map((name) => values[i][name] ?? null),
    ]),
  );
}

const answerOf = (a: Answer | null) => (a ? { quantity: a.quantity, shipBy: a.shipBy, reason: a.reason, note: a.note } : null);

export function toCommitRowsDto(
  { results, written }: { results: RowResult[]; written: number },
  preview: boolean,
  batch: z.output<typeof BatchDocument>,
): z.output<typeof CommitRowsDocument> {
  const count = (outcome: RowResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  return {
    preview,
    linesCommitted: written,
    counts: { new: count('new'), changed: count('changed'), unchanged: count('unchanged'), skipped: count('skipped'), invalid: count('invalid') },
    rows: results.map((r) => ({
      outcome: r.outcome,
      lineId: r.lineId,
      lineNo: r.lineNo,
      answer: answerOf(r.answer),
      previous: answerOf(r.previous),
      errors: r.errors.map((e) => ({ field: e.field, reason: e.reason, ...(e.limit === undefined ? {} : { limit: e.limit }), message: e.message })),
      warnings: r.warnings,
    })),
    batch,
  };
}

export function toDeliveryDto(d: DeliveryView): z.output<typeof WebhookDeliveryDocument> {
  return {
    id: d.id,
    batchId: d.batchId,
    version: d.version,
    attempt: d.attempt,
    url: d.url,
    attemptedAt: d.attemptedAt.toISOString(),
    statusCode: d.statusCode,
    error: d.error,
    durationMs: d.durationMs,
    delivered: d.delivered,
    errorKind: d.errorKind,
    manual: d.manual,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    gaveUpAt: d.gaveUpAt?.toISOString() ?? null,
  };
}
