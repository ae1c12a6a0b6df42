import { DateTime } from 'luxon';
import { BUSINESS_TIME_ZONE } from '../../platform/calendar';
import { parseMoney } from '../../platform/money';
import { type StatementLine, paymentIdOf, refundIdOf } from '../gateway';

/**
 * Reads a WeChat Pay trade bill (交易账单, bill_type ALL): a header row of column names, detail rows
 * whose every field starts with a backtick (` keeps spreadsheets from turning order numbers into
 * floating point), then the summary header (总交易单数,…) and one summary row. Amounts are in yuan;
 * times are Beijing time. Columns are found by name, since WeChat Pay does not promise their order.
 * A payment row's amount is 订单金额 (what was asked, before coupons); a refund row's is 申请退款金额.
 */
export function parseTradeBill(text: string): StatementLine[] {
  const rows = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((row) => row.trim() !== '');
  if (rows.length === 0) return [];
  const header = rows[0].split(',').map((name) => name.replace(/^`/, '').trim());
  const column = (name: string, fallback?: string): number => {
    const index = header.indexOf(name);
    if (index >= 0) return index;
    if (fallback !== undefined) return column(fallback);
    throw new Error(`the WeChat Pay trade bill has no column ${name}`);
  };
  const at = column('交易时间');
  const transactionNo = column('微信订单号');
  const tradeNo = column('商户订单号');
  const state = column('交易状态');
  const currency = column('货币种类');
  const orderAmount = column('订单金额', '应结订单金额');
  const refundNo = column('商户退款单号');
  const refundAmount = column('申请退款金额', '退款金额');

  const lines: StatementLine[] = [];
  for (const row of rows.slice(1)) {
    if (row.startsWith('总交易单数')) break;
    if (!row.startsWith('`')) throw new Error(`a WeChat Pay trade bill row does not start with a backtick: ${row.slice(0, 60)}`);
    // Every field starts with a backtick, so ",`" is the separator even where a product name holds a comma.
    const fields = row.slice(1).split(',`');
    if (fields.length !== header.length) throw new Error(`a WeChat Pay trade bill row has ${fields.length} fields, its header ${header.length}`);
    const isRefund = fields[state] === 'REFUND';
    const time = DateTime.fromFormat(fields[at], 'yyyy-MM-dd HH:mm:ss', { zone: BUSINESS_TIME_ZONE });
    if (!time.isValid) throw new Error(`a WeChat Pay trade bill row has the time ${fields[at]}`);
    lines.push({
      kind: isRefund ? 'refund' : 'payment',
      paymentId: paymentIdOf(fields[tradeNo]),
      refundId: isRefund ? refundIdOf(fields[refundNo]) : null,
      transactionId: fields[transactionNo] || null,
      amount: parseMoney(fields[isRefund ? refundAmount : orderAmount]),
      currency: fields[currency] || 'CNY',
      at: time.toJSDate(),
    });
  }
  return lines;
}
