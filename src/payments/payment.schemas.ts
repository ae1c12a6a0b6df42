import { z } from 'zod';
import { idSchema } from '../platform/ids';
import { formatMoney, moneyString } from '../platform/money';
import { pageQuery } from '../platform/http/paginate';
import { CHECKOUT_CHANNELS } from './gateway';
import type { PaymentRow, RefundRow, StatementDifferenceKind, StatementDifferenceRow, StatementResolution } from './payment.entity';
import type { SandboxGateway } from './sandbox-gateway';

export const PaymentParams = z.strictObject({ id: idSchema });
export const ProviderParams = z.strictObject({ provider: z.string().regex(/^[a-z0-9_-]{1,30}$/, 'must be a provider name') });
export const PaymentQuery = pageQuery.extend({
  kind: z.enum(['deposit', 'balance', 'box', 'unexpected']).optional(),
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']).optional(),
});
export const STATEMENT_DIFFERENCE_KINDS = [
  'payment_not_recorded',
  'payment_not_at_provider',
  'payment_amount_differs',
  'refund_not_confirmed',
  'refund_not_recorded',
  'refund_not_at_provider',
  'refund_amount_differs',
] as const satisfies readonly StatementDifferenceKind[];
export const STATEMENT_RESOLUTIONS = ['settled', 'refunded', 'confirmed', 'reported'] as const satisfies readonly StatementResolution[];
export const StatementDifferenceQuery = pageQuery.extend({
  provider: ProviderParams.shape.provider.optional(),
  day: z.iso.date().optional(),
  kind: z.enum(STATEMENT_DIFFERENCE_KINDS).optional(),
  resolution: z.enum(STATEMENT_RESOLUTIONS).optional(),
});
export const RefundQuery = pageQuery.extend({
  status: z.enum(['pending', 'processing', 'failed', 'succeeded']).optional(),
  problem: z.enum(['stuck', 'attention']).optional().meta({
    description:
      '`stuck`: still pending or processing longer than REFUND_STUCK_AFTER_MINUTES (default 60) after it was decided; `attention`: failed, or stuck (what an operator may send again)',
  }),
});
export const RetryRefundBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).meta({ description: 'Why it is sent again by hand (kept in the audit log)' }),
});

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

export const SandboxRefundFaultsBody = z.strictObject({
  kind: z.enum(['reject', 'reject_for_good', 'processing', 'clear']).meta({
    description:
      '`reject`: the bank refuses the refund (the refund job sends it again); `reject_for_good`: a final refusal (the job does not); `processing`: accepted and left unfinished; `clear`: forget the faults not played yet',
  }),
  count: z.int().min(1).max(100).default(1),
});

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

export const PaymentDocument = z
  .object({
    id: z.uuid(),
    kind: z
      .enum(['deposit', 'balance', 'box', 'unexpected'])
      .meta({ description: '`unexpected`: money the gateway took that we did not ask for; refunded in full' }),
    provider: z
      .string()
      .meta({ description: 'The provider the payment is at: the one that took its money, else the one of its latest checkout, else the default' }),
    pledgeId: z.uuid().nullable(),
    boxId: z.uuid().nullable(),
    amount: moneyString,
    currency: z.string().meta({ examples: ['CNY'] }),
    status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
    transactionId: z.string().nullable().meta({ description: "The gateway's id of the money taken" }),
    reportedPaymentId: z
      .string()
      .nullable()
      .meta({ description: 'For `unexpected`: the payment id the gateway reported the money against (ours, or one we do not know)' }),
    unexpectedReason: z.enum(['amount_mismatch', 'currency_mismatch', 'second_charge', 'unknown_payment']).nullable(),
    createdAt: z.iso.datetime(),
    settledAt: z.iso.datetime().nullable(),
    checkoutUrl: z
      .string()
      .nullable()
      .meta({
        description:
          "The sandbox's checkout (the storefront's sandbox sheet) of a deposit or balance payment at the sandbox, when SANDBOX_CHECKOUT is on (the embedded demo); else null",
        examples: ['/pay/0b7c…'],
      }),
  })
  .meta({ id: 'Payment' });

/** A payment as the API shows it; every route shows payments through one of these, made once with the installation's sandbox. */
export type PaymentDto = z.output<typeof PaymentDocument>;

export function paymentDtos(sandbox: Pick<SandboxGateway, 'name' | 'channels' | 'sheet'>) {
  return (p: PaymentRow): PaymentDto => ({
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

export const RefundDocument = z
  .object({
    id: z.uuid(),
    paymentId: z.uuid(),
    pledgeId: z.uuid().nullable(),
    campaignId: z.uuid().nullable(),
    amount: moneyString,
    reason: z
      .enum([
        'pledge_cancelled',
        'campaign_failed',
        'campaign_cancelled',
        'variant_not_produced',
        'late_payment',
        'unexpected_payment',
        'deposit_compensation',
        'after_sale',
      ])
      .meta({
        description:
          "`unexpected_payment`: money the gateway took that we did not ask for (its payment, of kind `unexpected`, says in which currency); `deposit_compensation`: a campaign cancelled after it succeeded pays each paid deposit back once more (定金双倍返还, Civil Code art. 587), from the factory's payable; `after_sale`: an operator refunded a completed purchase after the sale (售后退款)",
      }),
    status: z.enum(['pending', 'processing', 'failed', 'succeeded']).meta({
      description: '`processing`: the provider accepted the refund and finishes it later; `failed`: refused, being retried',
    }),
    attempts: z.int(),
    lastError: z.string().nullable(),
    stuck: z.boolean().meta({
      description: 'Still pending (not sent) or processing (the provider has not finished it) longer than REFUND_STUCK_AFTER_MINUTES after it was decided',
    }),
    createdAt: z.iso.datetime(),
    succeededAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Refund' });
type RefundDto = z.output<typeof RefundDocument>;

export const RetriedRefundDocument = z.object({
  outcome: z.enum(['paid_out', 'already_paid_out', 'processing', 'failed']).meta({
    description:
      '`paid_out`: the provider paid it out now (or had already: a refund is paid once); `already_paid_out`: it was, before this retry, and nothing changed; `processing`: the provider has it under way; `failed`: refused again (lastError says why)',
  }),
  refund: RefundDocument,
});

export function toRefundDto(r: RefundRow, stuck: boolean): RefundDto {
  return {
    id: r.id,
    paymentId: r.paymentId,
    pledgeId: r.pledgeId,
    campaignId: r.campaignId,
    amount: formatMoney(r.amount),
    // Stored as text; the reasons the code writes are the schema's (VALIDATE_RESPONSES holds every answer to it).
    reason: r.reason as RefundDto['reason'],
    status: r.status,
    attempts: r.attempts,
    lastError: r.lastError,
    stuck,
    createdAt: r.createdAt.toISOString(),
    succeededAt: r.succeededAt?.toISOString() ?? null,
  };
}

/** What the sandbox gateway's checkout and test routes answer: the notification's outcome and the payment after it. */
export const SandboxOutcome = z.object({ outcome: z.enum(['processed', 'duplicate', 'already_settled', 'unexpected']), payment: PaymentDocument });

export const CheckoutDocument = z.object({
  payment: PaymentDocument,
  checkout: z
    .union([
      z.object({
        channel: z.literal('qr'),
        qrCode: z.string().meta({ description: 'Text to show as a QR code' }),
        qrSvg: z.string().meta({ description: 'The QR code, as SVG' }),
      }),
      z.object({ channel: z.literal('h5'), redirectUrl: z.string().meta({ description: "The provider's payment page" }) }),
      z.object({
        channel: z.literal('jsapi'),
        jsapi: z
          .object({ appId: z.string(), timeStamp: z.string(), nonceStr: z.string(), package: z.string(), signType: z.literal('RSA'), paySign: z.string() })
          .meta({ description: 'WeixinJSBridge getBrandWCPayRequest parameters' }),
      }),
      z.object({ channel: z.literal('sheet'), checkoutUrl: z.string().meta({ description: "The storefront's sandbox sheet" }) }),
    ])
    .and(
      z.object({ provider: z.string(), expiresAt: z.iso.datetime().meta({ description: "The payment's own deadline: the provider closes the order then" }) }),
    ),
});

export const ProvidersDocument = z.object({ items: z.array(z.object({ name: z.string(), channels: z.array(z.enum(CHECKOUT_CHANNELS)).readonly() })) });

export const StatementDifferenceDocument = z
  .object({
    id: z.uuid(),
    provider: z.string(),
    day: z.iso.date().meta({ description: "The statement's China day" }),
    kind: z.enum(STATEMENT_DIFFERENCE_KINDS).meta({
      description:
        '`payment_not_recorded`: the provider took money we had no record of; `payment_not_at_provider`: we recorded money its statement does not show; `refund_not_confirmed`: it paid out a refund we had not seen confirmed; `refund_not_recorded`: it paid out a refund we know nothing of; `*_amount_differs`: both sides have it, at different amounts',
    }),
    paymentId: z.string().nullable(),
    refundId: z.string().nullable(),
    transactionId: z.string().nullable(),
    providerAmount: moneyString.nullable(),
    ourAmount: moneyString.nullable(),
    currency: z.string(),
    resolution: z.enum(STATEMENT_RESOLUTIONS).meta({
      description:
        '`settled`: our payment, its notification lost, recorded as paid; `refunded`: money we did not ask for, refunded in full; `confirmed`: a refund recorded as paid out; `reported`: for an operator to look into',
    }),
    detail: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'StatementDifference' });

export function toStatementDifferenceDto(d: StatementDifferenceRow): z.output<typeof StatementDifferenceDocument> {
  return {
    id: d.id,
    provider: d.provider,
    day: d.day,
    kind: d.kind,
    paymentId: d.paymentId,
    refundId: d.refundId,
    transactionId: d.transactionId,
    providerAmount: d.providerAmount && formatMoney(d.providerAmount),
    ourAmount: d.ourAmount && formatMoney(d.ourAmount),
    currency: d.currency,
    resolution: d.resolution,
    detail: d.detail,
    createdAt: d.createdAt.toISOString(),
  };
}
