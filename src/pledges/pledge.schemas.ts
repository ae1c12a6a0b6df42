import { z } from 'zod';
import { PledgeChoice, variantFromKey } from '../campaigns';
import { PaymentDocument, type PaymentDto, type PaymentRow } from '../payments';
import { idSchema as id } from '../platform/ids';
import { formatMoney, moneyString } from '../platform/money';
import type { PledgeRow } from './pledge.entity';

export const PledgeParams = z.strictObject({ id });

/** The same choice a quote takes (campaigns' PledgeChoice): what is quoted can be pledged. */
export const CreatePledgeBody = PledgeChoice;

export const PledgeDocument = z
  .object({
    id: z.uuid(),
    campaignId: z.uuid(),
    variant: z.record(z.string(), z.string()).meta({ examples: [{ colour: 'navy', size: 'L' }] }),
    quantity: z.int(),
    status: z.enum(['awaiting_deposit', 'active', 'awaiting_balance', 'paid', 'expired', 'cancelled', 'refunded', 'forfeited']),
    depositPerUnit: moneyString,
    deposit: moneyString,
    unitPrice: moneyString.nullable(),
    creditedPerUnit: moneyString.nullable(),
    balance: moneyString.nullable(),
    depositDueAt: z.iso.datetime(),
    balanceDueAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    payments: z
      .array(PaymentDocument)
      .meta({ description: 'Every payment of the pledge (deposit, then balance), oldest first, on every route that shows a pledge' }),
  })
  .meta({ id: 'Pledge' });

/** A placed pledge with the payment of its deposit. */
export const PlacedPledge = z.intersection(PledgeDocument, z.object({ depositPayment: PaymentDocument }));
/** A pledge with the payment of its balance. */
export const PledgeWithBalancePayment = z.intersection(PledgeDocument, z.object({ balancePayment: PaymentDocument }));

/** A pledge with every one of its payments (`payments` means the same on every route that shows a pledge). */
export function toPledgeDto(p: PledgeRow, payments: readonly PaymentRow[], paymentDto: (payment: PaymentRow) => PaymentDto): z.output<typeof PledgeDocument> {
  const money = (d: PledgeRow['deposit'] | null) => (d === null ? null : formatMoney(d));
  return {
    id: p.id,
    campaignId: p.campaignId,
    variant: variantFromKey(p.variantKey),
    quantity: p.quantity,
    status: p.status,
    depositPerUnit: formatMoney(p.depositPerUnit),
    deposit: formatMoney(p.deposit),
    unitPrice: money(p.unitPrice),
    creditedPerUnit: money(p.creditedPerUnit),
    balance: money(p.balance),
    depositDueAt: p.expiresAt.toISOString(),
    balanceDueAt: p.balanceDueAt?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    payments: payments.map((payment) => paymentDto(payment)),
  };
}

/** 售后退款: the reason, shown to the consumer. */
export const AfterSaleRefundBody = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .meta({ examples: ['质量问题退货'] }),
});
