export { Decimal, MONEY_PATTERN, ZERO, formatMoney, fromFen, parseMoney, roundToFen, sum, toFen } from './money';
export { allocate } from './allocate';
export { moneyString, signedMoneyString } from './schema';
