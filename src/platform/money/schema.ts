import { z } from 'zod';
import { MONEY_PATTERN } from './money';

/** Every amount a request carries or an answer shows: the one money schema (docs/openapi.yaml's Money). */
export const moneyString = z
  .string()
  .regex(MONEY_PATTERN, 'must be an amount with two decimals, such as "1000.00"')
  .meta({ id: 'Money', description: 'CNY, always two decimals, both ways: a request with "100" or "0.5" is a 400', examples: ['1000.00'] });

/** An amount that may be below zero (what a factory owes back): two decimals, a minus where negative. */
export const signedMoneyString = z
  .string()
  .regex(new RegExp(`^-?${MONEY_PATTERN.source.slice(1)}`), 'must be an amount with two decimals, such as "-300.00"')
  .meta({
    id: 'SignedMoney',
    description: 'CNY, two decimals; negative where a factory owes (refunds and compensation beyond what it earned)',
    examples: ['1000.00', '-300.00'],
  });
