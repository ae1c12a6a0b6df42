import { NOTIFICATION_DATA, type NotificationData, type NotificationKind, renderNotification } from '../../src/notifications/templates';
import { requestLanguage } from '../../src/platform/http/language';

/** Every kind of consumer notification, in both languages, with the facts a writer stores for it. */
const dueAt = '2026-12-21T23:00:00.000Z'; // 2026-12-22 07:00 in China
const cases: { [K in NotificationKind]: [data: NotificationData<K>, zh: string, en: string][] } = {
  deposit_received: [[{ title: '冬季羽绒服', amount: '200.00' }, '已收到「冬季羽绒服」的定金 ¥200.00。', 'Deposit of ¥200.00 received for "冬季羽绒服".']],
  campaign_succeeded: [
    [
      { title: 'Jacket', unitPrice: '699.50', balance: '1199.00', dueAt },
      '「Jacket」已成团，成交价每件 ¥699.50。请在 2026-12-22 07:00 北京时间 前支付尾款 ¥1199.00。',
      '"Jacket" succeeded at ¥699.50 a unit. Pay the balance of ¥1199.00 before 2026-12-22 07:00 China time.',
    ],
    [
      { title: 'Jacket', unitPrice: '100.00', balance: '0.00', dueAt },
      '「Jacket」已成团，成交价每件 ¥100.00。定金已抵全款，无需再付尾款。',
      '"Jacket" succeeded at ¥100.00 a unit. Your deposit covers it all.',
    ],
  ],
  campaign_failed: [
    [
      { title: 'Jacket', threshold: 500, deposit: '300.00' },
      '「Jacket」未达到 500 件，未能成团。定金 ¥300.00 全额退还。',
      '"Jacket" did not reach 500 units. Your deposit of ¥300.00 is refunded.',
    ],
  ],
  campaign_cancelled: [
    [{ title: 'Jacket' }, '「Jacket」已取消，您支付的款项全部退还。', '"Jacket" was cancelled. Everything you paid is refunded.'],
    [
      { title: 'Jacket', compensation: '200.00' },
      '定金双倍返还：「Jacket」在成团后被取消。您支付的款项全部退还，并另付您定金 ¥200.00 作为赔偿（《民法典》第587条）。',
      '定金双倍返还: "Jacket" was cancelled after it succeeded. Everything you paid is refunded, and your deposit of ¥200.00 is paid to you once more as compensation (Civil Code art. 587).',
    ],
  ],
  variant_not_produced: [
    [
      { title: 'Jacket', variant: { zh: '藏青 / L', en: 'Navy / L' }, deposit: '100.00' },
      '「Jacket」的 藏青 / L 选择人数不足，不予生产。定金 ¥100.00 全额退还。',
      'Too few people chose Navy / L of "Jacket" for it to be made. Your deposit of ¥100.00 is refunded.',
    ],
  ],
  balance_reminder: [
    [
      { title: 'Jacket', balance: '599.50', dueAt },
      '提醒：请在 2026-12-22 07:00 北京时间 前支付「Jacket」的尾款 ¥599.50，逾期定金不退。',
      'Reminder: pay the balance of ¥599.50 for "Jacket" before 2026-12-22 07:00 China time, or the deposit is forfeited.',
    ],
  ],
  balance_received: [
    [
      { title: 'Jacket', amount: '1199.00', shipDate: '2027-02-01' },
      '已收到「Jacket」的尾款 ¥1199.00，预计 2027-02-01 发货。',
      'Balance of ¥1199.00 received for "Jacket". Expected to ship 2027-02-01.',
    ],
  ],
  refund_sent: [
    [
      { amount: '300.00', reason: 'campaign_failed' },
      '¥300.00 已退还给您（未成团）。',
      '¥300.00 has been refunded to you (the campaign did not reach its target).',
    ],
    [{ amount: '899.00', reason: 'after_sale' }, '¥899.00 已退还给您（售后退款）。', '¥899.00 has been refunded to you (an after-sale refund).'],
    [{ amount: '12.34', reason: 'some_future_reason' }, '¥12.34 已退还给您。', '¥12.34 has been refunded to you.'],
  ],
  deposit_forfeited: [
    [
      { title: 'Jacket', deposit: '100.00', dueAt },
      '「Jacket」的尾款未在 2026-12-22 07:00 北京时间 前支付，定金 ¥100.00 按约定归工厂所有。',
      'The balance for "Jacket" was not paid by 2026-12-22 07:00 China time; the deposit of ¥100.00 goes to the factory as agreed.',
    ],
  ],
  after_sale_refunded: [
    [
      { title: 'Jacket', amount: '899.00', reason: '质量问题退货' },
      '「Jacket」已办理售后退款（质量问题退货），您支付的 ¥899.00 将全额退还。',
      '"Jacket" is refunded after sale (质量问题退货): the ¥899.00 you paid is coming back to you in full.',
    ],
  ],
  pledge_expired: [
    [{ title: 'Jacket' }, '您对「Jacket」的认购已失效：定金未按时支付。', 'Your pledge for "Jacket" expired: the deposit was not paid in time.'],
  ],
  box_charged: [
    [
      { boxId: 'b1', amount: '99.00', deliveryDate: '2027-07-05', shipDate: '2027-07-04' },
      '您 2027-07-05 送达的水果箱已扣款 ¥99.00，将于 2027-07-04 发货。',
      '¥99.00 charged for your fruit box of 2027-07-05; it ships on 2027-07-04.',
    ],
  ],
  box_charge_failed: [
    [
      { boxId: 'b1', deliveryDate: '2027-07-05', retryAt: '2027-07-02T06:30:00.000Z' },
      '您 2027-07-05 的水果箱扣款未成功，我们将在 2027-07-02 14:30 北京时间 再试一次。',
      'The charge for your fruit box of 2027-07-05 did not go through; we will try again at 2027-07-02 14:30 China time.',
    ],
  ],
  box_cancelled: [
    [
      { boxId: 'b1', deliveryDate: '2027-07-05', attempts: 3 },
      '您 2027-07-05 的水果箱已取消：3 次扣款均未成功。之后的水果箱不受影响。',
      'Your fruit box of 2027-07-05 is cancelled: we could not charge it after 3 tries. Your next boxes are not affected.',
    ],
  ],
  box_compensated: [
    [
      { boxId: 'b1', deliveryDate: '2027-07-05', credit: '19.80' },
      '慢就赔：您 2027-07-05 的水果箱未按时发货，¥19.80 已计入您的账户。',
      '慢就赔 (on-time guarantee): your fruit box of 2027-07-05 did not ship on time. ¥19.80 is credited to your account.',
    ],
  ],
  statement_ready: [
    [
      { title: '冬季羽绒服', net: '12345.67' },
      '「冬季羽绒服」的结算单已生成，应付金额 ¥12345.67。',
      'The settlement statement for "冬季羽绒服" is ready: ¥12345.67 payable to you.',
    ],
    [
      { title: 'Jacket', net: '-300.00' },
      '「Jacket」的结算单已生成，您需向平台退还 ¥300.00（退款与定金赔偿），将从之后的结算款中扣除。',
      'The settlement statement for "Jacket" is ready: you owe ¥300.00 (refunds and deposit compensation), deducted from your next payouts.',
    ],
    [
      { week: '2027-W09', net: '2450.00' },
      '2027-W09 周水果箱的结算单已生成，应付金额 ¥2450.00。',
      'The settlement statement for the fruit boxes of 2027-W09 is ready: ¥2450.00 payable to you.',
    ],
  ],
  payout_sent: [[{ amount: '12345.67' }, '¥12345.67 的结算款已发出，到账后通知您。', 'A payout of ¥12345.67 has been sent; we will tell you when it arrives.']],
  payout_confirmed: [[{ amount: '12345.67' }, '¥12345.67 的结算款已到账。', 'Your payout of ¥12345.67 has been paid.']],
  commission_held: [
    [
      { shop: '小林的店', code: 'K7P2QX', title: '冬季羽绒服', amount: '412.50', shopUnits: 45, totalUnits: 60 },
      '店主「小林的店」（K7P2QX）在「冬季羽绒服」的佣金 ¥412.50 已暂扣待审核：该活动已完成的 60 件中有 45 件来自其客户。请在佣金暂扣中放行或作废。',
      'Shop owner "小林的店" (K7P2QX): commission of ¥412.50 on "冬季羽绒服" is held for review: 45 of the campaign\'s 60 completed units came from their customers. Release or void it under commission holds.',
    ],
  ],
  statement_differences: [
    [
      { provider: 'wechatpay', day: '2027-07-05', differences: 3, refunded: 1 },
      '对账：wechatpay 2027-07-05 的账单与我们的记录有 3 处不一致，其中 1 笔非本平台订单的收款已自动退回，请在对账差异中查看。',
      "Reconciliation: wechatpay's statement of 2027-07-05 differs from our records in 3 places; 1 payment we did not ask for was refunded automatically. See the statement differences.",
    ],
    [
      { provider: 'alipay', day: '2027-07-05', differences: 1, refunded: 0 },
      '对账：alipay 2027-07-05 的账单与我们的记录有 1 处不一致，请在对账差异中查看。',
      "Reconciliation: alipay's statement of 2027-07-05 differs from our records in 1 place. See the statement differences.",
    ],
  ],
};

describe('notification templates', () => {
  test('every kind has cases here', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(NOTIFICATION_DATA).sort());
  });

  test.each(Object.entries(cases).flatMap(([kind, list]) => list.map(([data, zh, en]) => [kind, data, zh, en] as const)))('%s %j', (kind, data, zh, en) => {
    expect(renderNotification(kind, data, 'zh-CN')).toBe(zh);
    expect(renderNotification(kind, data, 'en')).toBe(en);
  });

  test('facts missing (a row written before templates) or malformed render nothing: the stored message is shown', () => {
    expect(renderNotification('deposit_received', { amount: '200.00' }, 'zh-CN')).toBeUndefined();
    expect(renderNotification('deposit_received', { title: 'x', amount: 200 }, 'en')).toBeUndefined();
    expect(renderNotification('balance_reminder', { title: 'x', balance: '1.00', dueAt: 'tomorrow' }, 'en')).toBeUndefined();
    expect(renderNotification('no_such_kind', {}, 'en')).toBeUndefined();
    expect(renderNotification('constructor', {}, 'en')).toBeUndefined();
  });
});

describe('the language of a request', () => {
  const lang = (header?: string) => requestLanguage({ headers: header === undefined ? {} : { 'accept-language': header } });
  test.each([
    [undefined, 'zh-CN'],
    ['', 'zh-CN'],
    ['en', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['fr-FR,en;q=0.5', 'en'],
    ['fr-FR', 'zh-CN'],
    ['*', 'zh-CN'],
    ['en;q=0.2,zh;q=0.8', 'zh-CN'],
    ['zh;q=0,en', 'en'],
    ['en;q=abc', 'zh-CN'],
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(lang(header)).toBe(expected);
  });

  test('?lang= wins over the header', () => {
    expect(requestLanguage({ headers: { 'accept-language': 'en' } }, 'zh-CN')).toBe('zh-CN');
  });
});
