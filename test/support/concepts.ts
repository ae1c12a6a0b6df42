import type { TestApp } from './app';
import type { Caller } from './builders';
import type { TestClock } from './clock';
import { aShopOwner } from './shops';

export const DAY = 86_400_000;

/** A concept's fields: a down jacket in two colours, at ¥699 for a run of 300, five samples, a trial of one day from a minute ago. */
export function aConcept(clock: TestClock, overrides: Record<string, unknown> = {}) {
  const now = clock.now().getTime();
  return {
    title: '轻薄羽绒服 Light down jacket',
    description: '90% white duck down, 120 g fill.',
    photoUrls: ['https://img.example.com/jacket-front.jpg', 'https://img.example.com/jacket-back.jpg'],
    options: [
      { name: 'colour', label: { zh: '颜色' }, values: ['black', 'navy'], valueLabels: { black: { zh: '黑色' }, navy: { zh: '藏青' } } },
      { name: 'size', values: ['M', 'L'] },
    ],
    targetPrice: '699.00',
    minimumRun: 300,
    trialPlaces: 5,
    trialOpensAt: new Date(now - 60_000).toISOString(),
    trialClosesAt: new Date(now + DAY).toISOString(),
    ...overrides,
  };
}

/** A concept an operator proposed for the factory and opened for trial: shop owners may apply now. */
export async function aConceptInTrial(
  t: TestApp,
  operator: Caller,
  factoryId: string,
  clock: TestClock,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const proposed = await t.http
    .post('/v1/concepts')
    .set(operator.auth)
    .send({ ...aConcept(clock, overrides), factoryId })
    .expect(201);
  await t.http.post(`/v1/concepts/${proposed.body.id}/open-trial`).set(operator.auth).expect(200);
  return proposed.body.id as string;
}

/** A shop owner (a new one, or `owner`) who applied for the concept's sample and was picked. */
export async function aPickedShopOwner(t: TestApp, operator: Caller, conceptId: string, owner?: Caller): Promise<Caller> {
  const shopOwner = owner ?? (await aShopOwner(t, operator)).owner;
  const applied = await t.http.post(`/v1/concepts/${conceptId}/trial-applications`).set(shopOwner.auth).expect(201);
  await t.http
    .post(`/v1/concepts/${conceptId}/picks`)
    .set(operator.auth)
    .send({ applicationIds: [applied.body.application.id] })
    .expect(200);
  return shopOwner;
}

/** A rating: each dimension 0–10, no comment, no intent unless given. */
export const aRating = (overrides: Record<string, unknown> = {}) => ({
  performance: 8,
  priceAcceptance: 7,
  design: 9,
  packaging: 6,
  comment: '',
  wouldPreorder: false,
  preorderUnits: 0,
  ...overrides,
});

export const rate = (t: TestApp, shopOwner: Caller, conceptId: string, rating: object) =>
  t.http.put(`/v1/concepts/${conceptId}/my-rating`).set(shopOwner.auth).send(rating);

/** What a launch gives beside the concept's own data: a campaign of a week from tomorrow. */
export function launchTerms(clock: TestClock, overrides: Record<string, unknown> = {}) {
  const now = clock.now().getTime();
  return {
    depositRate: '0.10',
    opensAt: new Date(now + DAY).toISOString(),
    closesAt: new Date(now + 8 * DAY).toISOString(),
    balanceWindowHours: 48,
    expectedShipDate: new Date(now + 40 * DAY).toISOString().slice(0, 10),
    ...overrides,
  };
}
