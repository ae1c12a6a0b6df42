import { z } from 'zod';
import { idSchema as id } from '../platform/ids';
import { formatMoney } from '../platform/money';
import type { RateView } from './commissions';
import { RATE_SUBJECTS } from './commission.entity';
import { LEVELS, LEVEL_NAMES, type LevelStanding } from './levels';

const rate = z
  .string()
  .regex(/^0(\.\d{1,4})?$/, 'must be a rate between 0 and 1 such as 0.03')
  .meta({ examples: ['0.03'] });

export const CampaignRateParams = z.strictObject({ id });
export const PlanRateParams = z.strictObject({ id: z.string().trim().min(1).max(40) });
export const SetRateBody = z.strictObject({ rate });

export const CommissionRateDocument = z
  .object({
    subject: z.enum(RATE_SUBJECTS),
    subjectId: z.string(),
    rate: z.string().meta({ description: 'The base rate on the final price; "0" when none was set (nothing is earned)' }),
    setBy: z.uuid().nullable(),
    setAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'CommissionRate' });

export const LevelStandingDocument = z
  .object({
    level: z.enum(LEVEL_NAMES),
    nameZh: z.string(),
    bonusRate: z.string().meta({ description: "Added to every base rate, for this shop owner's own sales only" }),
    completedSales: z.string().meta({ description: 'Own completed attributed sales, net of clawbacks (never self-purchases)' }),
    next: z.object({ level: z.enum(LEVEL_NAMES), nameZh: z.string(), salesNeeded: z.string() }).nullable(),
  })
  .meta({ id: 'ShopLevel' });

export const MyCommissionDocument = z
  .object({
    standing: LevelStandingDocument,
    rates: z
      .array(z.object({ subject: z.enum(RATE_SUBJECTS), subjectId: z.string(), baseRate: z.string(), rate: z.string() }))
      .meta({ description: 'Each rate in force (campaigns not yet final, plans): the base, and the rate this shop owner earns with their bonus' }),
    selfPurchaseRebate: z.string().meta({ description: 'How a shop owner’s own purchase is rewarded' }),
  })
  .meta({ id: 'MyCommission' });

const nameOf = (level: string) => LEVELS.find((l) => l.level === level)!.nameZh;

export function toRateDto(r: RateView): z.output<typeof CommissionRateDocument> {
  return { subject: r.subject, subjectId: r.subjectId, rate: r.rate, setBy: r.setBy, setAt: r.setAt?.toISOString() ?? null };
}

export function toStandingDto(s: LevelStanding): z.output<typeof LevelStandingDocument> {
  return {
    level: s.level,
    nameZh: nameOf(s.level),
    bonusRate: s.bonusRate,
    completedSales: formatMoney(s.completedSales),
    next: s.next ? { level: s.next.level, nameZh: nameOf(s.next.level), salesNeeded: formatMoney(s.next.salesNeeded) } : null,
  };
}
