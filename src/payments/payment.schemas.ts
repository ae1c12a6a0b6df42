import { z } from 'zod';
import { idSchema } from '../platform/ids';
import { formatMoney } from '../platform/money';
import { pageQuery } from '../platform/http/paginate';
import type { PaymentRow, RefundRow } from './payment.entity';

export const PaymentParams = z.strictObject({ id: idSchema });
export const ProviderParams = z.strictObject({ provider: z.string().regex(/^[a-z0-9_-]{1,30}$/, 'must be a provider name') });
export const PaymentQuery = pageQuery.extend({
  kind: z.enum(['deposit', 'balance', 'box', 'unexpected']).optional(),
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).optional(),
});
export const RefundQuery = pageQuery.extend({ status: z.enum(['pending', 'failed', 'succeeded']).optional() });

export function toPaymentDto(p: PaymentRow) {
  return {
    id: p.id, kind: p.kind, provider: p.provider, pledgeId: p.pledgeId, boxId: p.boxId, amount: formatMoney(p.amount), currency: p.currency, status: p.status, transactionId: p.transactionId,
    reportedPaymentId: p.reportedPaymentId, unexpectedReason: p.unexpectedReason, createdAt: p.createdAt.toISOString(), settledAt: p.settledAt?.toISOString() ?? null,
  };
}

export function toRefundDto(r: RefundRow) {
  return {
    id: r.id, paymentId: r.paymentId, pledgeId: r.pledgeId, campaignId: r.campaignId, amount: formatMoney(r.amount), reason: r.reason,
    status: r.status, attempts: r.attempts, lastError: r.lastError, createdAt: r.createdAt.toISOString(), succeededAt: r.succeededAt?.toISOString() ?? null,
  };
}
