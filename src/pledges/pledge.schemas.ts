import { z } from 'zod';
import { variantFromKey } from '../campaigns';
import { toPaymentDto, type PaymentRow } from '../payments';
import { idSchema as id } from '../platform/ids';
import { formatMoney } from '../platform/money';
import type { PledgeRow } from './pledge.entity';

export const PledgeParams = z.strictObject({ id });

export const CreatePledgeBody = z.strictObject({
  variant: z.record(z.string().max(30), z.string().max(40)).refine((v) => Object.keys(v).length <= 5, 'at most 5 options'),
  quantity: z.number().int('must be a whole number of units').min(1).max(10_000),
});

/** A pledge with every one of its payments (`payments` means the same on every route that shows a pledge). */
export function toPledgeDto(p: PledgeRow, payments: readonly PaymentRow[]) {
  const money = (d: PledgeRow['deposit'] | null) => (d === null ? null : formatMoney(d));
  return {
    id: p.id, campaignId: p.campaignId, variant: variantFromKey(p.variantKey), quantity: p.quantity, status: p.status,
    depositPerUnit: formatMoney(p.depositPerUnit), deposit: formatMoney(p.deposit),
    unitPrice: money(p.unitPrice), creditedPerUnit: money(p.creditedPerUnit), balance: money(p.balance),
    depositDueAt: p.expiresAt.toISOString(), balanceDueAt: p.balanceDueAt?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
    payments: payments.map(toPaymentDto),
  };
}
