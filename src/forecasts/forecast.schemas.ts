import { DateTime } from 'luxon';
import { z } from 'zod';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import { idSchema as id } from '../platform/ids';
import { toCsv } from '../platform/csv';
import { ACKNOWLEDGE_WITHIN_MS, type BatchDetail, type BatchSummary, batchPayload } from './forecast.service';
import type { ForecastBatchRow, WebhookDeliveryRow } from './forecast.entity';

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

export type BatchStatus = 'new' | 'acknowledged' | 'committed' | 'late';

/** new → acknowledged → committed (every line answered); new for more than 24 hours is late. */
export function batchStatus(batch: ForecastBatchRow, committedLines: number, now: Date): BatchStatus {
  if (batch.acknowledgedAt) return committedLines >= batch.lineCount && batch.lineCount > 0 ? 'committed' : 'acknowledged';
  return now.getTime() - batch.publishedAt.getTime() > ACKNOWLEDGE_WITHIN_MS ? 'late' : 'new';
}

export function toBatchSummaryDto({ batch, committedLines }: BatchSummary, now: Date) {
  return {
    id: batch.id,
    version: batch.version,
    trigger: batch.trigger,
    publishedAt: batch.publishedAt.toISOString(),
    lineCount: batch.lineCount,
    firmUnits: batch.firmUnits,
    expectedUnits: batch.expectedUnits,
    acknowledgedAt: batch.acknowledgedAt?.toISOString() ?? null,
    committedLines,
    status: batchStatus(batch, committedLines, now),
  };
}

export function toBatchDto(detail: BatchDetail, now: Date) {
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

export function toBatchCsv(detail: BatchDetail): string {
  const published = DateTime.fromJSDate(detail.batch.publishedAt, { zone: BUSINESS_TIME_ZONE }).toFormat('yyyy-MM-dd HH:mm');
  const { lines } = batchPayload(detail.batch, detail.lines, detail.commitments);
  return toCsv(
    CSV_HEADER,
    lines.map((l) => [
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
      // Last, so that the columns a factory's import already reads keep their places.
      l.kind,
      l.sourceKey,
    ]),
  );
}

export function toDeliveryDto(d: WebhookDeliveryRow) {
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
  };
}
