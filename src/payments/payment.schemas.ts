import { z } from 'zod';
import { idSchema } from '../platform/ids';
import { formatMoney } from '../platform/money';
import { pageQuery } from '../platform/http/paginate';
import { CHECKOUT_CHANNELS } from './gateway';
import type { PaymentRow, RefundRow } from './payment.entity';
import type { SandboxGateway } from './sandbox-gateway';

export const PaymentParams = z.strictObject({ id: idSchema });
export const ProviderParams = z.strictObject({ provider: z.string().regex(/^[a-z0-9_-]{1,30}$/, 'must be a provider name') });
export const PaymentQuery = pageQuery.extend({
  kind: z.enum(['deposit', 'balance', 'box', 'unexpected']).optional(),
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).optional(),
});
export const RefundQuery = pageQuery.extend({ status: z.enum(['pending', 'processing', 'failed', 'succeeded']).optional() });

export const CheckoutBody = z
  .strictObject({
    provider: ProviderParams.shape.provider,
    channel: z.enum(CHECKOUT_CHANNELS, { message: `must be one of ${CHECKOUT_CHANNELS.join(', ')}` }),
    openid: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be the payer's openid in our official account")
      .optional(),
  })
  .refine((b) => b.channel !== 'jsapi' || b.openid !== undefined, { path: ['openid'], message: 'is required for a jsapi checkout (inside WeChat)' });

export const SandboxCheckoutBody = z.strictObject({ outcome: z.enum(['pay', 'fail'], { message: 'must be "pay" or "fail"' }) });

/**
 * Payments a consumer pays on a checkout sheet (a provider's cashier, 收银台): the pledge's deposit and
 * balance. Box charges are debited without one (免密代扣), and are the payments the sandbox may still
 * confirm by itself when the checkout is on.
 */
export const CHECKOUT_KINDS = ['deposit', 'balance'] as const;
export const UNATTENDED_KINDS = ['box'] as const;

/** The sandbox's checkout of this payment (the storefront's sheet), when the sandbox offers its sheet and the payment is one paid on a checkout. */
export function checkoutUrlOf(p: Pick<PaymentRow, 'id' | 'kind' | 'provider'>, sandbox: Pick<SandboxGateway, 'name' | 'channels' | 'sheet'>): string | null {
  return p.provider === sandbox.name && sandbox.channels.includes('sheet') && (CHECKOUT_KINDS as readonly string[]).includes(p.kind)
    ? sandbox.sheet(p.id).checkoutUrl
    : null;
}

/** A payment as the API shows it; every route shows payments through one of these, made once with the installation's sandbox. */
export type PaymentDto = ReturnType<ReturnType<typeof paymentDtos>>;

export function paymentDtos(sandbox: Pick<SandboxGateway, 'name' | 'channels' | 'sheet'>) {
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
    checkoutUrl: checkoutUrlOf(p, sandbox),
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
