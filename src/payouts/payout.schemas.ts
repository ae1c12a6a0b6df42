import { z } from 'zod';
import type { PostedEntry } from '../ledger';
import { toCsv } from '../platform/csv';
import { pageQuery } from '../platform/http/paginate';
import { idSchema as id } from '../platform/ids';
import { formatMoney, moneyString, signedMoneyString } from '../platform/money';
import type { Payouts, Payable } from './payouts';
import type { PayeeRow, PayoutBatchRow, PayoutRow } from './payout.entity';
import type { StatementRow } from './statement.entity';
import type { EntryBreakdown } from './statements';

export const IdParams = z.strictObject({ id });
const format = z.enum(['json', 'csv']).optional();
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
export const StatementQuery = pageQuery.extend({ factoryId: id.optional(), unpaid: flag.optional(), format });
export const EntriesQuery = pageQuery.extend({ format });
export const PayoutQuery = pageQuery.extend({ factoryId: id.optional() });
export const ApproveBody = z.strictObject({ method: z.enum(['sandbox', 'bank_file']) });
export const FailBody = z.strictObject({ reason: z.string().trim().min(1).max(200) });
export const PayeeBody = z
  .strictObject({
    accountName: z.string().trim().min(1).max(200),
    accountNumber: z.string().regex(/^\d{8,32}$/, 'must be 8 to 32 digits'),
    bankName: z.string().trim().min(1).max(200),
    bankCode: z
      .string()
      .regex(/^\d{12}$/, 'must be a CNAPS code of 12 digits')
      .meta({ description: 'CNAPS code (联行号) of the receiving branch' }),
  })
  .meta({ id: 'PayeeInput' });

export const StatementDocument = z
  .object({
    id: z.uuid(),
    factoryId: z.uuid(),
    campaignId: z.uuid().nullable().meta({ description: "The campaign; null for an orchard's week of fruit boxes" }),
    campaignTitle: z.string().nullable(),
    period: z
      .string()
      .nullable()
      .meta({ description: "An orchard's statement: the ISO ship week of its fruit boxes (2027-W09); null for a campaign's", examples: ['2027-W09'] }),
    sequence: z.int().meta({ description: "1 for a campaign's (or week's) statement; a later one for entries posted after it" }),
    balancesReceived: signedMoneyString,
    depositsApplied: signedMoneyString,
    depositsForfeited: signedMoneyString,
    fruitSupplied: signedMoneyString.meta({ description: "The cost of the orchard's fruit in the week's charged boxes" }),
    platformFee: signedMoneyString,
    refunds: signedMoneyString,
    adjustments: signedMoneyString,
    net: signedMoneyString,
    entryCount: z.int(),
    payoutId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({
    id: 'Statement',
    description:
      "net = balancesReceived + depositsApplied + depositsForfeited + fruitSupplied − platformFee − refunds + adjustments; each figure is the sum of the statement's journal entries (GET …/entries)",
  });

export const StatementEntryDocument = z
  .object({
    entryId: z.uuid(),
    kind: z.string().meta({ examples: ['purchase_completed', 'deposit_forfeited', 'purchase_refunded', 'deposit_compensated', 'box_charged'] }),
    pledgeId: z.string().nullable(),
    boxId: z.string().nullable(),
    paymentId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    balanceReceived: signedMoneyString,
    depositApplied: signedMoneyString,
    depositForfeited: signedMoneyString,
    fruitSupplied: signedMoneyString,
    platformFee: signedMoneyString,
    refund: signedMoneyString,
    adjustment: signedMoneyString,
    net: signedMoneyString,
  })
  .meta({ id: 'StatementEntry' });

const method = z.enum(['sandbox', 'bank_file']).nullable();

export const PayoutDocument = z
  .object({
    id: z.uuid(),
    batchId: z.uuid(),
    factoryId: z.uuid().nullable().meta({ description: "The factory paid; null for a shop owner's payout" }),
    shopId: z.uuid().nullable().meta({ description: "The shop owner paid (their shop): commission; null for a factory's payout" }),
    amount: moneyString,
    status: z.enum(['pending', 'sent', 'confirmed', 'failed']),
    method,
    reference: z.string().nullable(),
    attempts: z.int(),
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    confirmedAt: z.iso.datetime().nullable(),
    statementIds: z
      .array(z.uuid())
      .optional()
      .meta({ description: "One payout's detail only: the factory's statements, or the shop owner's statements whose lines it pays" }),
  })
  .meta({ id: 'Payout' });

export const PayoutBatchDocument = z
  .object({
    id: z.uuid(),
    status: z.enum(['awaiting_approval', 'approved']),
    method,
    total: moneyString,
    payoutCount: z.int(),
    createdBy: z.uuid(),
    createdAt: z.iso.datetime(),
    approvedBy: z.uuid().nullable(),
    approvedAt: z.iso.datetime().nullable(),
    payouts: z.array(PayoutDocument).optional().meta({ description: "One batch's detail, its creation and its approval" }),
  })
  .meta({ id: 'PayoutBatch' });

export const PayableDocument = z
  .object({ factoryId: z.uuid(), factoryName: z.string(), unpaidStatements: signedMoneyString, inFlight: moneyString, paidOut: moneyString })
  .meta({ id: 'Payable' });

export const PayeeDocument = z
  .object({
    factoryId: z.uuid(),
    accountName: z.string(),
    accountNumber: z.string(),
    bankName: z.string(),
    bankCode: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Payee' });

/** Whether the caller asked for CSV: ?format=csv, or Accept: text/csv without a ?format. */
export const wantsCsv = (format: 'json' | 'csv' | undefined, accepts: (types: string[]) => string | false) =>
  format === 'csv' || (format === undefined && accepts(['application/json', 'text/csv']) === 'text/csv');

export function toStatementDto(s: StatementRow, campaignTitle: string | null): z.output<typeof StatementDocument> {
  return {
    id: s.id,
    factoryId: s.factoryId,
    campaignId: s.campaignId,
    campaignTitle,
    period: s.period,
    sequence: s.sequence,
    balancesReceived: formatMoney(s.balancesReceived),
    depositsApplied: formatMoney(s.depositsApplied),
    depositsForfeited: formatMoney(s.depositsForfeited),
    fruitSupplied: formatMoney(s.fruitSupplied),
    platformFee: formatMoney(s.platformFee),
    refunds: formatMoney(s.refunds),
    adjustments: formatMoney(s.adjustments),
    net: formatMoney(s.net),
    entryCount: s.entryCount,
    payoutId: s.payoutId,
    createdAt: s.createdAt.toISOString(),
  };
}
type StatementDto = ReturnType<typeof toStatementDto>;

const FIGURES = ['balancesReceived', 'depositsApplied', 'depositsForfeited', 'fruitSupplied', 'platformFee', 'refunds', 'adjustments', 'net'] as const;
const FIGURE_HEADERS = [
  '尾款 Balances received',
  '定金抵扣 Deposits applied',
  '没收定金 Deposits forfeited',
  '水果货款 Fruit supplied',
  '平台服务费 Platform fee',
  '退款 Refunds',
  '调整 Adjustments',
  '应付 Net payable',
];

export function statementsCsv(statements: readonly StatementDto[]): string {
  return toCsv(
    ['结算单 Statement', '活动 Campaign', '出货周 Ship week', '序号 Sequence', ...FIGURE_HEADERS, '分录数 Entries', '付款 Payout', '生成时间 Created'],
    statements.map((s) => [s.id, s.campaignTitle, s.period, s.sequence, ...FIGURES.map((f) => s[f]), s.entryCount, s.payoutId, s.createdAt]),
  );
}

export function toEntryDto(e: EntryBreakdown & PostedEntry): z.output<typeof StatementEntryDocument> {
  return {
    entryId: e.entry.id,
    kind: e.entry.kind,
    pledgeId: e.entry.pledgeId,
    boxId: e.entry.boxId,
    paymentId: e.entry.paymentId,
    createdAt: e.entry.createdAt.toISOString(),
    balanceReceived: formatMoney(e.balanceReceived),
    depositApplied: formatMoney(e.depositApplied),
    depositForfeited: formatMoney(e.depositForfeited),
    fruitSupplied: formatMoney(e.fruitSupplied),
    platformFee: formatMoney(e.platformFee),
    refund: formatMoney(e.refund),
    adjustment: formatMoney(e.adjustment),
    net: formatMoney(e.net),
  };
}

const ENTRY_FIGURES = ['balanceReceived', 'depositApplied', 'depositForfeited', 'fruitSupplied', 'platformFee', 'refund', 'adjustment', 'net'] as const;

export function entriesCsv(entries: readonly ReturnType<typeof toEntryDto>[]): string {
  return toCsv(
    ['分录 Journal entry', '类型 Kind', '认购 Pledge', '水果箱 Box', '时间 Time', ...FIGURE_HEADERS],
    entries.map((e) => [e.entryId, e.kind, e.pledgeId, e.boxId, e.createdAt, ...ENTRY_FIGURES.map((f) => e[f])]),
  );
}

export function toPayoutDto(p: PayoutRow, statementIds?: string[]): z.output<typeof PayoutDocument> {
  return {
    id: p.id,
    batchId: p.batchId,
    factoryId: p.factoryId,
    shopId: p.shopId,
    amount: formatMoney(p.amount),
    status: p.status,
    method: p.method,
    reference: p.reference,
    attempts: p.attempts,
    lastError: p.lastError,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    confirmedAt: p.confirmedAt?.toISOString() ?? null,
    ...(statementIds ? { statementIds } : {}),
  };
}

export function toBatchDto({
  batch,
  payouts,
}: Awaited<ReturnType<Payouts['batch']>> | { batch: PayoutBatchRow; payouts?: undefined }): z.output<typeof PayoutBatchDocument> {
  return {
    id: batch.id,
    status: batch.status,
    method: batch.method,
    total: formatMoney(batch.total),
    payoutCount: batch.payoutCount,
    createdBy: batch.createdBy,
    createdAt: batch.createdAt.toISOString(),
    approvedBy: batch.approvedBy,
    approvedAt: batch.approvedAt?.toISOString() ?? null,
    ...(payouts ? { payouts: payouts.map((p) => toPayoutDto(p)) } : {}),
  };
}

export function toPayableDto(p: Payable, factoryName: string): z.output<typeof PayableDocument> {
  return {
    factoryId: p.factoryId,
    factoryName,
    unpaidStatements: formatMoney(p.unpaidStatements),
    inFlight: formatMoney(p.inFlight),
    paidOut: formatMoney(p.paidOut),
  };
}

export function toPayeeDto(p: PayeeRow): z.output<typeof PayeeDocument> {
  return {
    factoryId: p.factoryId,
    accountName: p.accountName,
    accountNumber: p.accountNumber,
    bankName: p.bankName,
    bankCode: p.bankCode,
    updatedAt: p.updatedAt.toISOString(),
  };
}
