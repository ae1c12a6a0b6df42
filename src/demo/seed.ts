import type { App } from '../app';
import { businessDay } from '../platform/calendar';
import type { Logger } from '../platform/logger';

/** Demo accounts for trying the product on the embedded default. Their passwords are published in README.md. */
export const DEMO_ACCOUNTS = {
  operator: { email: 'operator@demo.c2m.local', password: 'demo-operator-2026' },
  consumer: { email: 'consumer@demo.c2m.local', password: 'demo-consumer-2026' },
  factory: { email: 'factory@demo.c2m.local', password: 'demo-factory-2026' },
  orchard: { email: 'orchard@demo.c2m.local', password: 'demo-orchard-2026' },
  shopOwner: { email: 'shop@demo.c2m.local', password: 'demo-shop-owner-2026' },
} as const;

/** The demo shop owner's phone, for the storefront's sign-in by code. */
export const DEMO_SHOP_OWNER_PHONE = '+8613900139000';

/** Demo pledgers who arrived through the demo shop owner's share link, so 店主中心 has sales to show. */
const SHOP_CUSTOMERS = new Set(['meimei@demo.c2m.local', 'xiaochen@demo.c2m.local']);

/** The demo consumer's phone: it signs in by code too (the embedded demo answers the code, SMS_SANDBOX_ECHO). */
export const DEMO_CONSUMER_PHONE = '+8613800138000';

/** Seeds once: a database that already has the demo operator is left alone. */
export async function seedDemoData(app: App, logger: Logger): Promise<{ seeded: boolean }> {
  const { accounts, factories } = app.services;
  const { created } = await accounts.ensureOperator({ ...DEMO_ACCOUNTS.operator, displayName: 'Demo operator' });
  if (!created) return { seeded: false };
  const consumer = await accounts.register({ ...DEMO_ACCOUNTS.consumer, displayName: '小王 (demo consumer)' });
  await accounts.setPhone(consumer.user.id, DEMO_CONSUMER_PHONE);
  const apparel = await factories.create({
    name: '杭州羽绒服装厂 Hangzhou Down Apparel Co.',
    kind: 'manufacturer',
    contactEmail: 'sales@down-apparel.demo.c2m.local',
  });
  await factories.addUser(apparel.id, { ...DEMO_ACCOUNTS.factory, displayName: 'Apparel planner' });
  await seedDownJacketCampaign(app, apparel.id);
  const orchard = await factories.create({
    name: '海南阳光果园 Hainan Sunrise Orchard',
    kind: 'orchard',
    contactEmail: 'orders@sunrise-orchard.demo.c2m.local',
  });
  await factories.addUser(orchard.id, { ...DEMO_ACCOUNTS.orchard, displayName: 'Orchard manager' });
  await seedFruitBoxes(app, orchard.id);
  await seedSelection(app, { orchardId: orchard.id });
  logger.info({ accounts: Object.fromEntries(Object.entries(DEMO_ACCOUNTS).map(([k, v]) => [k, v.email])) }, 'demo data seeded (passwords in README.md)');
  return { seeded: true };
}

/**
 * The down-jacket example of DESIGN.md, live: ¥1,000 last year, 10% deposit, ¥900 from 500 units and
 * 30% off (¥700) from 1,000 units, with a few paid pledges so the progress bar moves, and the
 * factory's forecast published after each round of them (versions 1–3).
 */
async function seedDownJacketCampaign(app: App, factoryId: string): Promise<void> {
  const { campaigns, pledges, payments, sandbox, accounts, forecasts } = app.services;
  const now = Date.now();
  const draft = await campaigns.create({
    factoryId,
    // In Chinese, as a Chinese factory and its buyers name it: the portal and the batch CSV show these as they are.
    title: '冬季羽绒服联名预售',
    productName: '90% 白鸭绒羽绒服',
    description: '现在认购只需付 10% 定金。满 500 件全员 ¥900；满 1,000 件全员 ¥700（比去年便宜 30%）。',
    options: [
      {
        name: 'colour',
        label: { zh: '颜色', en: 'Colour' },
        values: ['black', 'navy', 'olive'],
        valueLabels: { black: { zh: '黑色', en: 'Black' }, navy: { zh: '藏青', en: 'Navy' }, olive: { zh: '橄榄绿', en: 'Olive' } },
      },
      { name: 'size', label: { zh: '尺码', en: 'Size' }, values: ['S', 'M', 'L', 'XL'] },
    ],
    // No share-card picture: the demo reaches no outside host, and an invented image would be a broken one.
    // A campaign without one shares with its title, price and the site's own card (storefront).
    imageUrl: undefined,
    referencePrice: '1000.00',
    depositRate: '0.10',
    depositCreditRate: '1',
    tiers: [
      { minUnits: 500, unitPrice: '900.00' },
      { minUnits: 1000, unitPrice: '700.00' },
    ],
    maxUnits: 3000,
    perConsumerLimit: 5,
    opensAt: new Date(now - 86_400_000),
    closesAt: new Date(now + 14 * 86_400_000),
    balanceWindowHours: 72,
    expectedShipDate: businessDay(new Date(now + 60 * 86_400_000)),
  });
  await campaigns.publish(draft.id);
  const shopCode = await seedShopOwner(app, draft.id);
  const pledgers: [string, Record<string, string>, number][] = [
    [DEMO_ACCOUNTS.consumer.email, { colour: 'navy', size: 'L' }, 2],
    ['xiaoli@demo.c2m.local', { colour: 'black', size: 'M' }, 1],
    ['azhen@demo.c2m.local', { colour: 'olive', size: 'S' }, 3],
    ['laozhang@demo.c2m.local', { colour: 'black', size: 'XL' }, 1],
    ['meimei@demo.c2m.local', { colour: 'black', size: 'M' }, 2],
    ['dawei@demo.c2m.local', { colour: 'navy', size: 'M' }, 1],
    ['xiaochen@demo.c2m.local', { colour: 'black', size: 'L' }, 4],
  ];
  // Pledges in three rounds, a forecast version after each, so the factory's portal shows how a forecast moves.
  for (const [round, from, to] of [
    [1, 0, 4],
    [2, 4, 6],
    [3, 6, 7],
  ] as const) {
    for (const [email, variant, quantity] of pledgers.slice(from, to)) {
      const userId =
        email === DEMO_ACCOUNTS.consumer.email
          ? (await accounts.login(email, DEMO_ACCOUNTS.consumer.password)).user.id
          : (await accounts.register({ email, password: `${email}-demo-password` })).user.id;
      if (SHOP_CUSTOMERS.has(email)) await app.services.shops.bindings.bind({ role: 'consumer', userId }, shopCode);
      const { payment } = await pledges.placement.create({ role: 'consumer', userId }, draft.id, { variant, quantity });
      const signed = sandbox.notification(payment, 'succeeded');
      await payments.handleNotification(sandbox.name, signed.headers, signed.body);
    }
    if (!(await forecasts.publish(factoryId, 'operator'))) throw new Error(`demo forecast round ${round} published nothing`);
  }
}

/**
 * A shop owner (小B), approved, sharing the down-jacket campaign and a fruit plan, with a 3% commission rate
 * on the campaign (within the 5% fee less the highest level bonus); answers the shop code.
 */
async function seedShopOwner(app: App, campaignId: string): Promise<string> {
  const { accounts, shops, commissions } = app.services;
  const operator = { role: 'operator' as const, userId: (await accounts.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password)).user.id };
  const { user } = await accounts.register({ ...DEMO_ACCOUNTS.shopOwner, displayName: '阿芳 (demo shop owner)' });
  await accounts.setPhone(user.id, DEMO_SHOP_OWNER_PHONE);
  const owner = { role: 'consumer' as const, userId: user.id };
  const application = await shops.owners.apply(owner, {
    name: '阿芳的好物小店',
    phone: DEMO_SHOP_OWNER_PHONE.slice(3),
    wechatId: 'afang-demo',
    greeting: '宝妈群团购，只推自己用过的好东西。',
  });
  const shop = await shops.owners.approve(operator, application.id);
  await shops.owners.updateMine(owner, { greeting: application.greeting, campaignIds: [campaignId], planIds: ['weekly-family'] });
  await commissions.setRate(operator, 'campaign', campaignId, '0.03');
  return shop.code!;
}

/**
 * Fruit boxes: the demo orchard supplies the whole catalogue; the demo consumer has a weekly family box
 * (three people, no bananas) and a fortnightly small one, so their schedules can be read at once; the
 * orchard's forecast shows what the boxes need.
 */
async function seedFruitBoxes(app: App, orchardId: string): Promise<void> {
  const { subscriptions, accounts, forecasts } = app.services;
  for (const fruit of await subscriptions.catalogue.fruits()) await subscriptions.catalogue.updateFruit(fruit.id, { orchardId });
  const { user } = await accounts.login(DEMO_ACCOUNTS.consumer.email, DEMO_ACCOUNTS.consumer.password);
  const today = businessDay(new Date());
  await subscriptions.lifecycle.create(
    { role: 'consumer', userId: user.id },
    { planId: 'weekly-family', startDate: today, deliveryWeekday: 6, region: 'shanghai', householdSize: 3, exclusions: ['banana'] },
  );
  await subscriptions.lifecycle.create(
    { role: 'consumer', userId: user.id },
    { planId: 'fortnightly-small', startDate: today, deliveryWeekday: 3, region: 'chengdu', householdSize: 2, exclusions: [] },
  );
  await forecasts.publish(orchardId, 'operator');
}

/** Other shop owners of the demo, with a visit through their link each (so their 红黑榜 marks count): [email, shop name]. */
const DEMO_SHOP_OWNERS = [
  ['xiaoli@demo.c2m.local', '小李优选'],
  ['azhen@demo.c2m.local', '阿珍家居好物'],
  ['laozhang@demo.c2m.local', '老张户外'],
  ['dawei@demo.c2m.local', '大伟数码生活'],
] as const;

/**
 * 选品 (docs/selection.md): the orchard's mango-box concept in an open sample trial, with the demo shop owner 阿芳
 * and four other shop owners picked, nobody having rated yet (阿芳 can, in 店主中心 → 新品试用与评分, and the
 * orchard's 新品概念 then shows her rating); and a 红黑榜 with marks of the orchard, a brand and two origins.
 */
async function seedSelection(app: App, { orchardId }: { orchardId: string }): Promise<void> {
  const { accounts, shops, concepts, marks } = app.services;
  const operator = { role: 'operator' as const, userId: (await accounts.login(DEMO_ACCOUNTS.operator.email, DEMO_ACCOUNTS.operator.password)).user.id };
  const now = Date.now();
  const mango = await concepts.propose(operator, {
    factoryId: orchardId,
    title: '树上熟金煌芒果礼盒 Tree-ripened mango gift box',
    description: '海南金煌芒，八成熟采摘、顺丰冷链，到手两三天可吃；每盒 5 斤，单果 350 克以上。',
    photoUrls: [],
    options: [
      {
        name: 'size',
        label: { zh: '规格', en: 'Size' },
        values: ['5jin', '10jin'],
        valueLabels: { '5jin': { zh: '5 斤', en: '2.5 kg' }, '10jin': { zh: '10 斤', en: '5 kg' } },
      },
    ],
    targetPrice: '89.00',
    minimumRun: 500,
    trialPlaces: 10,
    trialOpensAt: new Date(now - 86_400_000).toISOString(),
    trialClosesAt: new Date(now + 21 * 86_400_000).toISOString(),
  });
  await concepts.openTrial(mango.concept.id);
  const afang = { role: 'consumer' as const, userId: (await accounts.login(DEMO_ACCOUNTS.shopOwner.email, DEMO_ACCOUNTS.shopOwner.password)).user.id };
  const owners = [];
  for (const [i, [email, name]] of DEMO_SHOP_OWNERS.entries()) {
    const consumer = { role: 'consumer' as const, userId: (await accounts.login(email, `${email}-demo-password`)).user.id };
    const application = await shops.owners.apply(consumer, { name, phone: `1390013901${i}`, wechatId: `demo-shop-${i + 1}`, greeting: '' });
    const shop = await shops.owners.approve(operator, application.id);
    await shops.visits.record({ code: shop.code!, visitorId: `demo-visitor-${i + 1}` });
    owners.push(consumer);
  }
  for (const consumer of [afang, ...owners]) await concepts.apply(consumer, mango.concept.id);
  await concepts.pick(
    operator,
    mango.concept.id,
    (await concepts.applications(mango.concept.id)).map((a) => a.application.id),
  );
  const [xiaoli, azhen, laozhang, dawei] = owners;
  const marking: [typeof afang, Parameters<typeof marks.mark>[1]][] = [
    [xiaoli, { kind: 'origin', subject: '烟台', color: 'red', reason: '苹果脆甜，耐运输，回购率高。' }],
    [azhen, { kind: 'origin', subject: '烟台', color: 'red', reason: '果园直发，坏果包赔很爽快。' }],
    [laozhang, { kind: 'origin', subject: '烟台', color: 'red', reason: '客户每年都问什么时候有货。' }],
    [dawei, { kind: 'origin', subject: '烟台', color: 'black', reason: '去年有一批偏面。' }],
    [xiaoli, { kind: 'origin', subject: '攀枝花', color: 'red', reason: '芒果香，甜度高。' }],
    [azhen, { kind: 'factory', subject: orchardId, color: 'red', reason: '芒果熟度把握得好，发货快。' }],
    [azhen, { kind: 'brand', subject: '某网红速热杯', color: 'black', reason: '样品两周就漏水，不建议上。' }],
    [laozhang, { kind: 'brand', subject: '某网红速热杯', color: 'black', reason: '宣传和实际差距大。' }],
  ];
  for (const [consumer, mark] of marking) await marks.mark(consumer, mark);
}
