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

export const SandboxCheckoutBody = z.strictObject({ outcome: z.enum(['pay', 'fail'], { message: 'must be "pay" or "fail"' }) });

/**
 * Payments a consumer pays on a checkout sheet (a provider's cashier, 收银台): the pledge's deposit and
 * balance. Box charges are debited without one (免密代扣), and are the payments the sandbox may still
 * confirm by itself when the checkout is on.
 */
export const CHECKOUT_KINDS = ['deposit', 'balance'] as const;
export const UNATTENDED_KINDS = ['box'] as const;

/** Where the storefront's sandbox checkout sheet for this payment is, when the checkout is on and the payment is one paid there. */
export function checkoutUrlOf(p: Pick<PaymentRow, 'id' | 'kind' | 'provider'>, sandboxCheckout: boolean): string | null {
  return sandboxCheckout && p.provider === 'sandbox' && (CHECKOUT_KINDS as readonly string[]).includes(p.kind) ? `/pay/${p.id}` : null;
}

/** A payment as the API shows it; every route shows payments through one of these, made once with the installation's checkout setting. */
export type PaymentDto = ReturnType<ReturnType<typeof paymentDtos>>;

export function paymentDtos(options: { sandboxCheckout: boolean }) {
  return (p: PaymentRow) => ({
    id: p.id,
    kind: p.kind,
    provider: p.provider,
    pledgeId: p.pledgeId,
    boxId: p.boxId,
    amount: formatMoney(p.amount),
    currency: p.currency,
    status: p.status,
    transactionId: p.transactionId,
    reportedPaymentId: p.reportedPaymentId,
    unexpectedReason: p.unexpectedReason,
    createdAt: p.createdAt.toISOString(),
    settledAt: p.settledAt?.toISOString() ?? null,
    checkoutUrl: checkoutUrlOf(p, options.sandboxCheckout),
  });
}

export function toRefundDto(r: RefundRow) {
  return {
    id: r.id,
    paymentId: r.paymentId,
    pledgeId: r.pledgeId,
    campaignId: r.campaignId,
    amount: formatMoney(r.amount),
    reason: r.reason,
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt.toISOString(),
    succeededAt: r.succeededAt?.toISOString() ?? null,
  };
}
