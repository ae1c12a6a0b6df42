import { z } from 'zod';
import { PledgeChoice, variantFromKey } from '../campaigns';
import type { PaymentDto, PaymentRow } from '../payments';
import { idSchema as id } from '../platform/ids';
import { formatMoney } from '../platform/money';
import type { PledgeRow } from './pledge.entity';

export const PledgeParams = z.strictObject({ id });

/** The same choice a quote takes (campaigns' PledgeChoice): what is quoted can be pledged. */
export const CreatePledgeBody = PledgeChoice;

/** A pledge with every one of its payments (`payments` means the same on every route that shows a pledge). */
export function toPledgeDto(p: PledgeRow, payments: readonly PaymentRow[], paymentDto: (payment: PaymentRow) => PaymentDto) {
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
