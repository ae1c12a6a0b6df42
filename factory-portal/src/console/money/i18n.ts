/** The console's money area (资金): its words, mounted under console.money (../i18n.ts). */
export const zh = {
  title: '资金',
  intro: '按编号、手机号、邮箱或活动查找预订、付款、退款、订阅和盒子；失败的退款、账户余额、对账和应付工厂款项。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Money',
  intro: 'Find pledges, payments, refunds, subscriptions and boxes; failed refunds, the ledger, reconcile checks and amounts owed to factories.',
  placeholder: 'This part is being built.',
};
