import { toCsv } from '../platform/csv';
import { type Decimal, formatMoney } from '../platform/money';
import type { BankAccount, PayoutMethod, PayoutRow } from './payout.entity';

/** One transfer to hand over: a payout's attempt, to a factory or a shop owner. The same payout and attempt asked again never pays twice. */
export interface PayoutOrder {
  payoutId: string;
  attempt: number;
  factoryId: string | null;
  shopId: string | null;
  amount: Decimal;
  payee: BankAccount | null;
}

export type PayoutResult = { ok: true; reference: string } | { ok: false; reason: string };

/** Where a sent transfer stands, as the provider says. */
export type TransferStatus = 'sent' | 'confirmed' | 'failed';

/**
 * The payout port: money out to a factory's (or a shop owner's) bank account. `send` hands a transfer over; `status` asks
 * where it stands, for providers that can be asked (a bank file cannot: an operator confirms each
 * transfer from the bank's own record).
 */
export interface PayoutGateway {
  readonly method: PayoutMethod;
  send(order: PayoutOrder): Promise<PayoutResult>;
  status?(reference: string): Promise<TransferStatus>;
}

/**
 * The sandbox payout provider: accepts every transfer and reports it paid when asked, unless told to
 * decline the next ones (`failNext`) or to report sent ones failed (`failTransfers`), for tests and demos.
 */
export class SandboxPayoutGateway implements PayoutGateway {
  readonly method = 'sandbox' as const;
  private declines: string[] = [];
  private failing = false;
  private readonly transfers = new Map<string, PayoutOrder>();

  /** The next `count` transfers are declined with `reason`. */
  failNext(count: number, reason = 'sandbox_declined'): void {
    this.declines.push(...Array.from({ length: count }, () => reason));
  }

  /** Transfers already sent are reported failed (the bank returned them) while this is on. */
  failTransfers(on: boolean): void {
    this.failing = on;
  }

  async send(order: PayoutOrder): Promise<PayoutResult> {
    const reference = `sandbox-${order.payoutId}-${order.attempt}`;
    if (this.transfers.has(reference)) return { ok: true, reference };
    const declined = this.declines.shift();
    if (declined) return { ok: false, reason: declined };
    this.transfers.set(reference, order);
    return { ok: true, reference };
  }

  async status(reference: string): Promise<TransferStatus> {
    if (!this.transfers.has(reference)) return 'failed';
    return this.failing ? 'failed' : 'confirmed';
  }
}

/**
 * The real-world fallback: payouts go out as a batch-payment file (批量代发) the operator uploads to the
 * platform's corporate bank account, and are confirmed by the operator from the bank's record. "Sending"
 * puts a payout in its batch's file; a payout without bank details cannot be.
 */
export class BankFilePayouts implements PayoutGateway {
  readonly method = 'bank_file' as const;

  async send(order: PayoutOrder): Promise<PayoutResult> {
    if (!order.payee) return { ok: false, reason: 'payee_missing' };
    return { ok: true, reference: `${order.payoutId.replaceAll('-', '').slice(0, 20)}${String(order.attempt).padStart(2, '0')}` };
  }
}

/**
 * The batch-payment file: CSV (UTF-8 with a BOM, CRLF), one transfer a row, the columns Chinese banks'
 * corporate batch-payment templates ask for (payee account, name, bank, CNAPS code, amount, purpose) plus
 * our reference, which the bank echoes in its record and the operator confirms by.
 */
export function bankFile(rows: readonly { payout: PayoutRow; payee: BankAccount }[]): string {
  return toCsv(
    ['序号 No.', '收款账号 Account', '收款户名 Name', '收款银行 Bank', '联行号 CNAPS', '金额 Amount (CNY)', '用途 Purpose', '业务参考号 Reference'],
    rows.map(({ payout, payee }, i) => [
      i + 1,
      payee.accountNumber,
      payee.accountName,
      payee.bankName,
      payee.bankCode,
      formatMoney(payout.amount),
      payout.shopId ? '佣金结算' : '货款结算',
      payout.reference,
    ]),
  );
}
