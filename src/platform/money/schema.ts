import { z } from 'zod';
import { MONEY_PATTERN } from './money';

/** Every amount a request carries: the one money schema, matching docs/openapi.yaml's Money. */
export const moneyString = z.string().regex(MONEY_PATTERN, 'must be an amount with two decimals, such as "1000.00"');
