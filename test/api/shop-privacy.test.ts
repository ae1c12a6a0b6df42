import { randomInt } from 'node:crypto';
import { ShopConsentEventRow } from '../../src/shops';
import type { TestApp } from '../support/app';
import { aConsumer, aFactoryWorld, type Caller } from '../support/builders';
import { anOpenCampaign, paidPledge } from '../support/campaigns';
import type { TestClock } from '../support/clock';
import { aShopApplication, aShopOwner as aShopOwnerOf } from '../support/shops';
import { subscribe as subscribeThrough } from '../support/subscriptions';

/** A shop owner's orders and their customers' phones (docs/shop-owners.md § Privacy): masked unless the consumer consented, withdrawable. */
let t: TestApp;
let clock: TestClock;
let operator: Caller;
let factoryId: string;

beforeAll(async () => {
  ({ t, clock, operator, factoryId } = await aFactoryWorld());
});
afterAll(() => t.close());

interface Customer extends Caller {
  phone: string;
}

/** A consumer with a mobile number of their own (signed up by email, the number added as phone sign-in adds it). */
async function aCustomer(): Promise<Customer> {
  const consumer = await aConsumer(t);
  const national = `139${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  await t.app.services.accounts.setPhone(consumer.userId, `+86${national}`);
  return { ...consumer, phone: national };
}

const masked = (national: string) => `${national.slice(0, 3)}****${national.slice(-4)}`;

const aShopOwner = (name: string) => aShopOwnerOf(t, operator, aShopApplication({ name }));

const bind = (consumer: Caller, code: string) => t.http.post('/v1/me/shop-binding').set(consumer.auth).send({ code }).expect(200);
const consent = (consumer: Caller, code: string, share: boolean) => t.http.put(`/v1/me/shop-consents/${code}`).set(consumer.auth).send({ share });
const orders = async (owner: Caller, kind: 'pledge' | 'subscription' = 'pledge') =>
  (await t.http.get(`/v1/me/shop/orders?kind=${kind}&limit=100`).set(owner.auth).expect(200)).body as {
    items: { id: string; customer: { phone: string | null; phoneShared: boolean } }[];
    total: number;
  };
const phoneOn = async (owner: Caller, orderId: string, kind: 'pledge' | 'subscription' = 'pledge') =>
  (await orders(owner, kind)).items.find((o) => o.id === orderId)?.customer;
const subscribe = async (consumer: Caller) => (await subscribeThrough(t, consumer, clock).expect(201)).body as { id: string };

describe("a shop owner's orders", () => {
  test('each pledge and subscription through the shop, newest first, the customer shown by a masked phone only', async () => {
    const shop = await aShopOwner('小芳的果园铺');
    const [wang, li] = [await aCustomer(), await aCustomer()];
    const campaign = await anOpenCampaign(t, operator, factoryId, clock, { title: '赣南脐橙 拼单' });
    await bind(wang, shop.code);
    await bind(li, shop.code);
    const first = await paidPledge(t, wang, campaign.id, { colour: 'navy', size: 'L' }, 2);
    const second = await paidPledge(t, li, campaign.id, { colour: 'black', size: 'M' }, 1);
    const box = await subscribe(li);

    const list = await orders(shop.owner);
    expect(list.total).toBe(2);
    expect(list.items.map((o) => o.id)).toEqual([second.id, first.id]);
    expect(list.items[1]).toEqual({
      kind: 'pledge',
      id: first.id,
      createdAt: expect.any(String),
      campaignId: campaign.id,
      campaignTitle: '赣南脐橙 拼单',
      variant: { colour: 'navy', size: 'L' },
      quantity: 2,
      status: 'active',
      paid: '200.00', // the deposit: 10% of 999.99, 100.00 a unit
      customer: { phone: masked(wang.phone), phoneShared: false },
    });
    // Nothing else of the customer: no account id, name, e-mail or address.
    expect(JSON.stringify(list)).not.toContain(wang.userId);
    expect(JSON.stringify(list)).not.toContain(wang.email);
    expect(JSON.stringify(list)).not.toContain(wang.phone);

    const boxes = await orders(shop.owner, 'subscription');
    expect(boxes.items).toEqual([
      {
        kind: 'subscription',
        id: box.id,
        createdAt: expect.any(String),
        planId: 'weekly-family',
        planName: { zh: expect.any(String), en: expect.any(String) },
        status: 'active',
        customer: { phone: masked(li.phone), phoneShared: false },
      },
    ]);
    const paged = (await t.http.get('/v1/me/shop/orders?limit=1&offset=1').set(shop.owner.auth).expect(200)).body;
    expect(paged).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(paged.items.map((o: { id: string }) => o.id)).toEqual([first.id]);
  });

  test('a customer without a phone number is shown with none; a consumer or operator has no shop orders to see', async () => {
    const shop = await aShopOwner('No phones');
    const noPhone = await aConsumer(t);
    await bind(noPhone, shop.code);
    const box = await subscribe(noPhone);
    expect(await phoneOn(shop.owner, box.id, 'subscription')).toEqual({ phone: null, phoneShared: false });

    const notOwner = await t.http.get('/v1/me/shop/orders').set(noPhone.auth).expect(403);
    expect(notOwner.body.code).toBe('not_a_shop_owner');
    await t.http.get('/v1/me/shop/orders').set(operator.auth).expect(403);
    await t.http.get('/v1/me/shop/orders').expect(401);
  });
});

describe('consent to show the phone number to a shop owner', () => {
  test('consent shows it whole to that shop owner only; withdrawal masks it again at once; every change is recorded', async () => {
    const [a, b] = [await aShopOwner('店铺 A'), await aShopOwner('店铺 B')];
    const zhao = await aCustomer();
    const other = await aCustomer();

    // 赵 first comes through B's link and subscribes; the binding expires; then through A's link and pledges.
    await bind(zhao, b.code);
    const atB = await subscribe(zhao);
    clock.offsetMs += 31 * 86_400_000;
    await bind(zhao, a.code);
    await bind(other, a.code);
    const campaign = await anOpenCampaign(t, operator, factoryId, clock);
    const atA = await paidPledge(t, zhao, campaign.id, { colour: 'black', size: 'L' }, 1);
    const othersPledge = await paidPledge(t, other, campaign.id, { colour: 'black', size: 'M' }, 1);

    // Never assumed: masked to both shop owners.
    expect(await phoneOn(a.owner, atA.id)).toEqual({ phone: masked(zhao.phone), phoneShared: false });
    expect(await phoneOn(b.owner, atB.id, 'subscription')).toEqual({ phone: masked(zhao.phone), phoneShared: false });
    expect((await t.http.get('/v1/me/shop-consents').set(zhao.auth).expect(200)).body).toEqual({ items: [] });

    const granted = await consent(zhao, a.code.toLowerCase(), true).expect(200);
    expect(granted.body).toEqual({
      code: a.code,
      name: '店铺 A',
      share: true,
      changedAt: expect.any(String),
      history: [{ share: true, at: granted.body.changedAt }],
    });
    expect(await phoneOn(a.owner, atA.id)).toEqual({ phone: zhao.phone, phoneShared: true });
    // Not to another shop owner, and not for another customer.
    expect(await phoneOn(b.owner, atB.id, 'subscription')).toEqual({ phone: masked(zhao.phone), phoneShared: false });
    expect(await phoneOn(a.owner, othersPledge.id)).toEqual({ phone: masked(other.phone), phoneShared: false });

    // Asking again for the state in force records nothing.
    await consent(zhao, a.code, true).expect(200);
    clock.offsetMs += 60_000;
    const withdrawn = await consent(zhao, a.code, false).expect(200);
    expect(withdrawn.body.share).toBe(false);
    expect(await phoneOn(a.owner, atA.id)).toEqual({ phone: masked(zhao.phone), phoneShared: false });

    const mine = (await t.http.get('/v1/me/shop-consents').set(zhao.auth).expect(200)).body;
    expect(mine.items).toEqual([
      {
        code: a.code,
        name: '店铺 A',
        share: false,
        changedAt: withdrawn.body.changedAt,
        history: [
          { share: true, at: granted.body.changedAt },
          { share: false, at: withdrawn.body.changedAt },
        ],
      },
    ]);
    expect(new Date(withdrawn.body.changedAt).getTime() - new Date(granted.body.changedAt).getTime()).toBeGreaterThanOrEqual(60_000);
    // The log is only ever added to: two rows for two changes.
    const events = await t.db.read((tx) => tx.findBy(ShopConsentEventRow, { userId: zhao.userId }));
    expect(events.map((e) => e.share).sort()).toEqual([false, true]);

    // Consent again: shown whole again; another consumer's consents are not theirs to read.
    await consent(zhao, a.code, true).expect(200);
    expect(await phoneOn(a.owner, atA.id)).toEqual({ phone: zhao.phone, phoneShared: true });
    expect((await t.http.get('/v1/me/shop-consents').set(other.auth).expect(200)).body).toEqual({ items: [] });
  });

  test('the same consent asked for several times at once is recorded once', async () => {
    const shop = await aShopOwner('店铺 D');
    const consumer = await aCustomer();
    const answers = await Promise.all(Array.from({ length: 5 }, () => consent(consumer, shop.code, true)));
    expect(answers.map((r) => [r.status, r.body.share])).toEqual(Array.from({ length: 5 }, () => [200, true]));
    const events = await t.db.read((tx) => tx.findBy(ShopConsentEventRow, { userId: consumer.userId }));
    expect(events.map((e) => e.share)).toEqual([true]);
    expect((await t.http.get('/v1/me/shop-consents').set(consumer.auth).expect(200)).body.items[0].history).toHaveLength(1);
  });

  test('withdrawing a consent never given records nothing; bad requests are 4xx problems', async () => {
    const shop = await aShopOwner('店铺 C');
    const consumer = await aCustomer();
    expect((await consent(consumer, shop.code, false).expect(200)).body).toEqual({
      code: shop.code,
      name: '店铺 C',
      share: false,
      changedAt: null,
      history: [],
    });
    expect((await t.http.get('/v1/me/shop-consents').set(consumer.auth).expect(200)).body).toEqual({ items: [] });

    const problems = [
      await consent(consumer, shop.code, 'yes' as unknown as boolean).expect(400),
      await t.http.put(`/v1/me/shop-consents/${shop.code}`).set(consumer.auth).send({}).expect(400),
      await t.http.put(`/v1/me/shop-consents/${shop.code}`).set(consumer.auth).send({ share: true, phone: '13800000000' }).expect(400),
      await consent(consumer, 'not-a-code', true).expect(400),
      await consent(consumer, 'ZZZZZZ', true).expect(404),
      await t.http.get('/v1/me/shop/orders?kind=everything').set(shop.owner.auth).expect(400),
      await t.http.get('/v1/me/shop/orders?limit=0').set(shop.owner.auth).expect(400),
    ];
    for (const problem of problems) {
      expect(problem.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(problem.body.code).toEqual(expect.any(String));
    }
    await t.http.put(`/v1/me/shop-consents/${shop.code}`).send({ share: true }).expect(401);
    await t.http.put(`/v1/me/shop-consents/${shop.code}`).set(operator.auth).send({ share: true }).expect(403);
  });
});
