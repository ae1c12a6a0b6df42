import { z } from 'zod';
import { toCsv } from '../platform/csv';
import { pageQuery } from '../platform/http/paginate';
import { idSchema as id } from '../platform/ids';
import { formatMoney, moneyString, signedMoneyString } from '../platform/money';
import type { ShopPayeeRow } from './payout.entity';
import type { CommissionHoldRow, HoldStatus, ShopStatementLineRow, ShopStatementRow } from './shop-statement.entity';
import type { CommissionTotals } from './shop-statements';

const format = z.enum(['json', 'csv']).optional();
export const ShopStatementQuery = pageQuery.extend({ shopId: id.optional(), format });
export const MyShopStatementQuery = pageQuery.extend({ format });
export const ShopStatementLinesQuery = pageQuery.extend({ format });
const holdStatus = z.enum(['held', 'released', 'voided']);
export const HoldQuery = pageQuery.extend({ status: holdStatus.optional() });
export const ReleaseBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });
export const VoidBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });

export const ShopStatementDocument = z
  .object({
    id: z.uuid(),
    shopId: z.uuid(),
    period: z.string().meta({ description: 'The China month (Asia/Shanghai) the statement settles', examples: ['2026-11'] }),
    sequence: z.int().meta({ description: "1 for a month's statement; a later one for that month's entries stated after it" }),
    commission: signedMoneyString,
    rebates: signedMoneyString.meta({ description: "Self-purchase rebates: the shop owner's own completed purchases" }),
    clawedBack: signedMoneyString.meta({ description: 'Commission and rebates taken back (after-sale refunds, voided holds), subtracted' }),
    net: signedMoneyString.meta({ description: 'commission + rebates − clawedBack' }),
    held: signedMoneyString.meta({ description: 'The part of net held for review when the statement was made (not paid until released)' }),
    lineCount: z.int(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ShopStatement', description: "A shop owner's monthly commission statement: each line one journal entry (GET …/lines)" });

export const ShopStatementLineDocument = z
  .object({
    entryId: z.uuid(),
    kind: z.string().meta({ examples: ['commission_earned', 'self_purchase_rebate', 'commission_clawed_back', 'commission_voided'] }),
    campaignId: z.string().nullable(),
    pledgeId: z.string().nullable(),
    boxId: z.string().nullable(),
    amount: signedMoneyString.meta({ description: 'Owed to the shop owner by this entry (negative: taken back)' }),
    postedAt: z.iso.datetime(),
    hold: holdStatus.nullable().meta({ description: 'The hold the line is under, if any: held and voided lines are not paid' }),
    payoutId: z.uuid().nullable(),
  })
  .meta({ id: 'ShopStatementLine' });

export const CommissionHoldDocument = z
  .object({
    id: z.uuid(),
    shopId: z.uuid(),
    campaignId: z.uuid(),
    status: holdStatus,
    amount: signedMoneyString,
    shopUnits: z.int().meta({ description: "The shop owner's customers' completed units on the campaign when held" }),
    totalUnits: z.int().meta({ description: "The campaign's completed units when held" }),
    createdAt: z.iso.datetime(),
    decidedBy: z.uuid().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'CommissionHold' });

export const ShopPayeeDocument = z
  .object({
    shopId: z.uuid(),
    accountName: z.string(),
    accountNumber: z.string().meta({ description: 'Masked: only the last four digits are shown', examples: ['************1234'] }),
    bankName: z.string(),
    bankCode: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'ShopPayee' });

export const CommissionTotalsDocument = z
  .object({
    pending: signedMoneyString.meta({ description: 'Earned, not yet final: the purchase can still be refunded after-sale' }),
    settled: signedMoneyString.meta({ description: 'On a statement, not yet paid out (held included)' }),
    held: signedMoneyString.meta({ description: 'The part of settled held for review' }),
    paid: moneyString,
  })
  .meta({ id: 'CommissionTotals' });

export function toShopStatementDto(s: ShopStatementRow): z.output<typeof ShopStatementDocument> {
  return {
    id: s.id,
    shopId: s.shopId,
    period: s.period,
    sequence: s.sequence,
    commission: formatMoney(s.commission),
    rebates: formatMoney(s.rebates),
    clawedBack: formatMoney(s.clawedBack),
    net: formatMoney(s.net),
    held: formatMoney(s.held),
    lineCount: s.lineCount,
    createdAt: s.createdAt.toISOString(),
  };
}

export function toShopStatementLineDto({ line, hold }: { line: ShopStatementLineRow; hold: HoldStatus | null }): z.output<typeof ShopStatementLineDocument> {
  return {
    entryId: line.entryId,
    kind: line.kind,
    campaignId: line.campaignId,
    pledgeId: line.pledgeId,
    boxId: line.boxId,
    amount: formatMoney(line.amount),
    postedAt: line.postedAt.toISOString(),
    hold,
    payoutId: line.payoutId,
  };
}

export function toHoldDto(h: CommissionHoldRow): z.output<typeof CommissionHoldDocument> {
  return {
    id: h.id,
    shopId: h.shopId,
    campaignId: h.campaignId,
    status: h.status,
    amount: formatMoney(h.amount),
    shopUnits: h.shopUnits,
    totalUnits: h.totalUnits,
    createdAt: h.createdAt.toISOString(),
    decidedBy: h.decidedBy,
    decidedAt: h.decidedAt?.toISOString() ?? null,
    reason: h.reason,
  };
}

/** Only the last four digits of an account number are ever read back. */
export const maskAccountNumber = (number: string) => `${'*'.repeat(Math.max(number.length - 4, 0))}${number.slice(-4)}`;

export function toShopPayeeDto(p: ShopPayeeRow): z.output<typeof ShopPayeeDocument> {
  return {
    shopId: p.shopId,
    accountName: p.accountName,
    accountNumber: maskAccountNumber(p.accountNumber),
    bankName: p.bankName,
    bankCode: p.bankCode,
    updatedAt: p.updatedAt.toISOString(),
  };
}

export const toTotalsDto = (t: CommissionTotals): z.output<typeof CommissionTotalsDocument> => ({
  pending: formatMoney(t.pending),
  settled: formatMoney(t.settled),
  held: formatMoney(t.held),
  paid: formatMoney(t.paid),
});

export function shopStatementsCsv(statements: readonly z.output<typeof ShopStatementDocument>[]): string {
  return toCsv(
    [
      '结算单 Statement',
      '店铺 Shop',
      '月份 Month',
      '序号 Sequence',
      '佣金 Commission',
      '自购返利 Rebates',
      '扣回 Clawed back',
      '应付 Net',
      '暂扣 Held',
      '明细数 Lines',
      '生成时间 Created',
    ],
    statements.map((s) => [s.id, s.shopId, s.period, s.sequence, s.commission, s.rebates, s.clawedBack, s.net, s.held, s.lineCount, s.createdAt]),
  );
}

export function shopStatementLinesCsv(lines: readonly z.output<typeof ShopStatementLineDocument>[]): string {
  return toCsv(
    ['分录 Journal entry', '类型 Kind', '活动 Campaign', '认购 Pledge', '水果箱 Box', '金额 Amount', '时间 Posted', '暂扣 Hold', '付款 Payout'],
    lines.map((l) => [l.entryId, l.kind, l.campaignId, l.pledgeId, l.boxId, l.amount, l.postedAt, l.hold, l.payoutId]),
  );
}
