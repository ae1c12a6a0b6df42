/**
 * The chart of accounts. Debits are positive, credits negative; the gateway is the one asset (money
 * we hold at the payment provider), everything else is what that money is owed to.
 *
 *   gateway                      asset: received from consumers and not yet paid back out (refunds) or out to factories (payouts)
 *   held_deposits:<campaign>     deposits held for consumers while a campaign runs
 *   refunds_pending              refunds decided but not yet confirmed by the gateway
 *   factory_payable:<factory>    owed to a factory (prices paid, deposits forfeited to it), less what it was paid out
 *   platform_fees                the platform's fee on each completed purchase, and its margin on each fruit box
 *   guarantee_expense            what the late-shipping guarantee (慢就赔) cost the platform
 *   subscriber_credit:<user>     credit owed to a subscriber (late-shipping compensation): not gateway money
 *   commission_payable:<shop>    liability: commission and self-purchase rebates owed to a shop owner, less what was paid
 *   commission_expense           what commission and rebates cost the platform (paid from the platform's side)
 *   unexpected_payments          money the gateway took that we did not ask for, until its refund is decided (at once)
 *   commission_payable:<shop>    liability: commission and self-purchase rebates owed to a shop owner, less what was paid
 *   commission_expense           what commission and rebates cost the platform
 *
 * The ledger's currency is CNY. Money the gateway took in another currency can only be money we did not
 * ask for; it is kept in that currency's own gateway, unexpected_payments and refunds_pending accounts
 * (`gateway:USD`, …), so no line ever adds two currencies.
 */
export const accounts = {
  gateway: 'gateway',
  heldDeposits: (campaignId: string) => `held_deposits:${campaignId}`,
  refundsPending: 'refunds_pending',
  factoryPayable: (factoryId: string) => `factory_payable:${factoryId}`,
  platformFees: 'platform_fees',
  guaranteeExpense: 'guarantee_expense',
  subscriberCredit: (userId: string) => `subscriber_credit:${userId}`,
  unexpectedPayments: 'unexpected_payments',
  commissionPayable: (shopId: string) => `commission_payable:${shopId}`,
  commissionExpense: 'commission_expense',
  /** One of the accounts above, for money in `currency`. */
  inCurrency: (account: string, currency: string) => (currency === LEDGER_CURRENCY ? account : `${account}:${currency}`),
} as const;

export const LEDGER_CURRENCY = 'CNY';

export const HELD_DEPOSITS_PREFIX = 'held_deposits:';
export const FACTORY_PAYABLE_PREFIX = 'factory_payable:';
export const COMMISSION_PAYABLE_PREFIX = 'commission_payable:';
