import Fraction from 'fraction.js';

/**
 * Exact fractions of whole numbers (fraction.js, BigInt inside), for figures rounded to whole units or shown to a
 * few decimals: in floating point 10 × (0.7 − 0.2) is 4.999… and a mean of 4.975 is 4.97499…, one off once rounded.
 * Not for money: amounts are decimal.js (platform/money).
 */
export { Fraction };

/** An exact fraction (fraction.js exports its class as a value only). */
export type Exact = InstanceType<typeof Fraction>;
