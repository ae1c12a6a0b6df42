import { Decimal, formatMoney, parseMoney } from '../../src/platform/money';
import { type BoxRequest, FRUIT_CATALOGUE, type Fruit, type PlannedBox, extraPortionsPerDay, isInSeason, planBox, varietyTarget } from '../../src/scheduling';

/** A family of three, one portion each a day (3 portions a day, 21 a week), on the weekly family plan's fruit budget. */
function familyOfThree(deliveryDate: string, shipDate: string, overrides: Partial<BoxRequest> = {}): BoxRequest {
  return {
    deliveryDate,
    shipDate,
    periodDays: 7,
    householdSize: 3,
    portionsPerPersonPerDay: 1,
    exclusions: [],
    budget: parseMoney('160'),
    recentBoxes: [],
    catalogue: FRUIT_CATALOGUE,
    ...overrides,
  };
}

/** A made-up fruit for rules that are easier to check by hand than with the real catalogue. */
function fruit(id: string, figures: Partial<Fruit> = {}): Fruit {
  return {
    id,
    nameZh: id,
    nameEn: id,
    unit: 'piece',
    portionsPerUnit: 1,
    ripeningDays: [0, 0],
    goodDays: 14,
    seasons: [{ origin: 'anywhere', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }],
    ethylene: { producer: false, sensitive: false },
    unitCost: parseMoney('2'),
    ...figures,
  };
}

/** One person, one portion a day, a week from Monday 2027-03-01: a day may hold 1 portion + 1 extra. */
function onePerson(catalogue: Fruit[], overrides: Partial<BoxRequest> = {}): BoxRequest {
  return {
    deliveryDate: '2027-03-01',
    shipDate: '2027-02-27',
    periodDays: 7,
    householdSize: 1,
    portionsPerPersonPerDay: 1,
    exclusions: [],
    budget: parseMoney('100'),
    recentBoxes: [],
    catalogue,
    ...overrides,
  };
}

/** The box in a compact form: items, then day by day what is eaten for the need (+ extras). */
const itemsOf = (box: PlannedBox) =>
  box.items.map(
    (i) =>
      `${i.fruitId} ×${i.units} = ${i.portions}p ${i.edibleFrom}..${i.edibleUntil} ¥${formatMoney(i.cost)}${i.ripensFaster ? ' faster' : ''}${i.uneatenPortions ? ` uneaten ${i.uneatenPortions}` : ''}`,
  );
const eatenOf = (fruits: { fruitId: string; portions: number }[]) => fruits.map((f) => `${f.fruitId}:${f.portions}`).join(' ');
const daysOf = (box: PlannedBox) =>
  box.coverage.map((d) => `${d.date} ${d.plannedPortions}/${d.neededPortions} ${eatenOf(d.fruits)}${d.extraPortions ? ` + ${eatenOf(d.extras)}` : ''}`.trim());
const spentShare = (box: PlannedBox, request: BoxRequest) => box.cost.dividedBy(request.budget).toNumber();

describe('planBox: worked examples with the catalogue', () => {
  test('July, family of three on the ¥160 weekly family budget: six fruits in season, 84 % of the budget, every day covered', () => {
    const box = planBox(familyOfThree('2026-07-15', '2026-07-13'));
    // The cheapest cover would be ¥33.50 (a watermelon, 6 bananas, a mango and an apple). Instead:
    // 1. Cover at the dearest price level (blueberries, ¥8.75 a portion: nothing is left out for its price).
    //    Value of one more unit = portion cost × (1 + months out of season ÷ 12) ÷ (1 + portions of it ÷ 5.25),
    //    5.25 being a fair share (21 portions ÷ the variety target of 4); new kinds first until 4 kinds.
    //    Day 1: blueberries 8.75 × 13/12 ÷ (1 + 8/5.25) = 3.76 beat apples 2.10, grapes 1.84, dragon fruit 1.81,
    //    lychees 1.56: 1 kg, eaten on days 1–2 and 2 portions of day 3. Day 3: a peach (new, 3.50) for the last
    //    portion. Day 4: an apple and a kilo of grapes (new kinds). Days 6–7: a mango, dragon fruit and apples.
    //    That box (¥101) covers every day with nothing left over, so the level is kept.
    // 2. Extras, at most 2 a day (3 + 2 = 5 portions): 9 more peaches (the most valuable while within half
    //    the need), a mango, an apple and a dragon fruit; apricots, lychees and plums come 6–8 portions to a
    //    unit and no longer fit on their one or two days. Every day then holds 5 portions: the box is full.
    expect(itemsOf(box)).toEqual([
      'apple ×4 = 4p 2026-07-15..2026-07-28 ¥10.00',
      'blueberry ×1 = 8p 2026-07-15..2026-07-19 ¥70.00',
      'dragon-fruit ×2 = 4p 2026-07-15..2026-07-21 ¥10.00',
      'grape ×1 = 5p 2026-07-15..2026-07-19 ¥12.00',
      'peach ×10 = 10p 2026-07-17..2026-07-18 ¥25.00',
      'mango ×2 = 4p 2026-07-19..2026-07-21 ¥8.00',
    ]);
    expect(daysOf(box)).toEqual([
      '2026-07-15 3/3 blueberry:3 + blueberry:2',
      '2026-07-16 3/3 blueberry:3 + grape:2',
      '2026-07-17 3/3 peach:3 + peach:2',
      '2026-07-18 3/3 peach:3 + peach:2',
      '2026-07-19 3/3 grape:3 + mango:2',
      '2026-07-20 3/3 mango:2 apple:1 + apple:2',
      '2026-07-21 3/3 dragon-fruit:3 + dragon-fruit:1 apple:1',
    ]);
    expect(formatMoney(box.cost)).toBe('135.00');
    expect(box.uncoveredDays).toEqual([]);
  });

  test('what a subscriber checks: several fruits, premium ones in season, most of the budget, never more than they can eat', () => {
    for (const [deliveryDate, shipDate, premium] of [
      ['2026-07-15', '2026-07-13', 'blueberry'],
      ['2026-11-11', '2026-11-09', 'persimmon'],
    ] as const) {
      const request = familyOfThree(deliveryDate, shipDate);
      const box = planBox(request);
      expect(box.uncoveredDays).toEqual([]);
      expect(box.items.length).toBeGreaterThanOrEqual(varietyTarget(7, 3));
      expect(box.items.map((i) => i.fruitId)).toContain(premium);
      expect(spentShare(box, request)).toBeGreaterThanOrEqual(0.8);
      expect(box.cost.lte(request.budget)).toBe(true);
      // No fruit makes up more than half of the week's 21 portions.
      for (const item of box.items) expect(item.portions).toBeLessThanOrEqual(10.5);
      for (const day of box.coverage) expect(day.plannedPortions + day.extraPortions).toBeLessThanOrEqual(3 + extraPortionsPerDay(3));
    }
  });

  test('July without mango: the ripe days go to bananas, dragon fruit and apples', () => {
    const request = familyOfThree('2026-07-15', '2026-07-13', { exclusions: ['mango'] });
    const box = planBox(request);
    expect(box.items.map((i) => i.fruitId)).toEqual(['apple', 'blueberry', 'dragon-fruit', 'grape', 'peach', 'banana']);
    expect(daysOf(box).slice(5)).toEqual([
      '2026-07-20 3/3 banana:2 dragon-fruit:1 + dragon-fruit:1 apple:1',
      '2026-07-21 3/3 dragon-fruit:1 apple:2 + apple:2',
    ]);
    expect(formatMoney(box.cost)).toBe('135.00');
    expect(box.uncoveredDays).toEqual([]);
  });

  test('November, family of three: blueberries, persimmons, pomegranates, oranges and dragon fruit', () => {
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09'));
    // Peruvian blueberries on the first days; persimmons and pomegranates (in season 4 months a year: worth
    // 1.67 × their cost) and navel oranges keep all week. Kiwi and mandarins (cheaper per portion) are not needed.
    expect(itemsOf(box)).toEqual([
      'blueberry ×1 = 8p 2026-11-11..2026-11-15 ¥70.00',
      'dragon-fruit ×1 = 2p 2026-11-11..2026-11-17 ¥5.00',
      'navel-orange ×5 = 5p 2026-11-11..2026-11-24 ¥10.00',
      'persimmon ×10 = 10p 2026-11-11..2026-11-20 ¥25.00',
      'pomegranate ×5 = 10p 2026-11-11..2026-11-24 ¥25.00',
    ]);
    expect(formatMoney(box.cost)).toBe('135.00');
    expect(box.uncoveredDays).toEqual([]);
  });

  test('November without persimmon: pears ripen for the end of the week', () => {
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09', { exclusions: ['persimmon'] }));
    expect(box.items.map((i) => i.fruitId)).not.toContain('persimmon');
    expect(daysOf(box).slice(5)).toEqual(['2026-11-16 3/3 pear:3 + pear:2', '2026-11-17 3/3 pear:3 + pear:2']);
    expect(box.items.length).toBeGreaterThanOrEqual(4);
    expect(box.uncoveredDays).toEqual([]);
  });

  test('November, fortnightly: kiwi ripens mid-box and long keepers carry days 8–14', () => {
    const request = familyOfThree('2026-11-11', '2026-11-09', { periodDays: 14, budget: parseMoney('310') });
    const box = planBox(request);
    expect(box.uncoveredDays).toEqual([]);
    expect(box.coverage).toHaveLength(14);
    expect(box.coverage.every((day) => day.plannedPortions === 3)).toBe(true);
    expect(box.items.map((i) => i.fruitId)).toContain('kiwi');
    expect(box.items.length).toBeGreaterThanOrEqual(varietyTarget(14, 3));
    expect(spentShare(box, request)).toBeGreaterThanOrEqual(0.8);
    // Days 8–14 (Nov 18–24) are eaten from fruit that keeps more than a week once ripe.
    const lateFruit = new Set(box.coverage.slice(7).flatMap((day) => [...day.fruits, ...day.extras].map((f) => f.fruitId)));
    for (const id of lateFruit) expect(FRUIT_CATALOGUE.find((f) => f.id === id)!.goodDays).toBeGreaterThanOrEqual(10);
  });

  test('one person on the family budget: the box is full long before the budget is spent', () => {
    const request = familyOfThree('2026-07-15', '2026-07-13', { householdSize: 1 });
    const box = planBox(request);
    // ¥160 for 7 portions is ¥22.86 a portion; the dearest July fruit costs ¥8.75. Every day holds its
    // portion and 1 extra, and nothing more fits: 53 % of the budget.
    expect(itemsOf(box)).toEqual([
      'apple ×2 = 2p 2026-07-15..2026-07-28 ¥5.00',
      'blueberry ×1 = 8p 2026-07-15..2026-07-19 ¥70.00',
      'peach ×2 = 2p 2026-07-17..2026-07-18 ¥5.00',
      'mango ×1 = 2p 2026-07-19..2026-07-21 ¥4.00',
    ]);
    expect(box.coverage.every((day) => day.plannedPortions === 1 && day.extraPortions === 1)).toBe(true);
    expect(formatMoney(box.cost)).toBe('84.00');
  });
  test('a bigger budget buys a better box, until the household cannot eat more', () => {
    let previous = new Decimal(0);
    for (const yuan of ['40', '60', '80', '100', '120', '140', '160']) {
      const request = familyOfThree('2026-07-15', '2026-07-13', { budget: parseMoney(yuan) });
      const box = planBox(request);
      expect(box.uncoveredDays).toEqual([]);
      expect(box.cost.lte(request.budget)).toBe(true);
      expect(box.cost.gte(previous)).toBe(true);
      expect(spentShare(box, request)).toBeGreaterThanOrEqual(0.8);
      previous = box.cost;
    }
    // From ¥135 on, every day holds 3 + 2 portions: ¥200 buys the same box as ¥160 (68 % of it).
    const full = planBox(familyOfThree('2026-07-15', '2026-07-13', { budget: parseMoney('200') }));
    expect(formatMoney(full.cost)).toBe('135.00');
    expect(full.coverage.every((day) => day.plannedPortions + day.extraPortions === 5)).toBe(true);
  });
});

describe('planBox: never more than the household can eat', () => {
  test('a cheap fruit that would go off is left out, though covering with it would cost less', () => {
    // Lychee-like: 8 portions a unit, good for 2 days. One person eats at most 2 a day (1 + 1 extra): 4 of 8.
    const catalogue = [fruit('apple'), fruit('lychee', { portionsPerUnit: 8, goodDays: 2, unitCost: parseMoney('1.00') })];
    const box = planBox(onePerson(catalogue));
    expect(box.items.map((i) => i.fruitId)).toEqual(['apple']);
    expect(box.items[0].uneatenPortions).toBe(0);
    expect(box.coverage.every((day) => day.plannedPortions === 1 && day.extraPortions === 1)).toBe(true);
  });

  test('when covering a day needs a unit bigger than the household can finish, the rest is shown as uneaten', () => {
    const box = planBox(onePerson([fruit('lychee', { portionsPerUnit: 8, goodDays: 2, unitCost: parseMoney('1.00') })]));
    // The only fruit: one unit covers days 1–2 (1 + 1 extra a day), 4 portions go off; days 3–7 have nothing.
    expect(itemsOf(box)).toEqual(['lychee ×1 = 8p 2027-03-01..2027-03-02 ¥1.00 uneaten 4']);
    expect(box.coverage.slice(0, 2).map((d) => [d.plannedPortions, d.extraPortions])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(box.uncoveredDays.map((d) => d.reason)).toEqual(Array(5).fill('nothing_ready'));
  });

  test('the extras never exceed one portion per two persons a day, and sit only on covered days', () => {
    for (const householdSize of [1, 2, 3, 4, 5]) {
      const box = planBox(familyOfThree('2026-11-11', '2026-11-09', { householdSize }));
      for (const day of box.coverage) {
        expect(day.plannedPortions).toBeLessThanOrEqual(day.neededPortions);
        expect(day.extraPortions).toBeLessThanOrEqual(Math.ceil(householdSize / 2));
        if (day.extraPortions > 0) expect(day.plannedPortions).toBe(day.neededPortions);
      }
    }
  });
});

describe('planBox: uncovered days are named, never silent', () => {
  test('nothing ready to eat: the first days are nothing_ready when every ready-to-eat fruit is excluded', () => {
    const readyToEat = FRUIT_CATALOGUE.filter((f) => f.ripeningDays[1] === 0).map((f) => f.id);
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09', { exclusions: readyToEat }));
    // In season in November and ripening: kiwi (ready from day 3), banana (day 4), pear and avocado (day 5).
    // Days 0–2 have nothing edible; kiwi (the most valuable) covers days 3–6 and keeps the ethylene producers
    // out; the household eats 2 extra a day.
    expect(box.uncoveredDays).toEqual([
      { date: '2026-11-11', missingPortions: 3, reason: 'nothing_ready' },
      { date: '2026-11-12', missingPortions: 3, reason: 'nothing_ready' },
      { date: '2026-11-13', missingPortions: 3, reason: 'nothing_ready' },
    ]);
    expect(itemsOf(box)).toEqual(['kiwi ×20 = 20p 2026-11-14..2026-11-17 ¥24.00']);
    expect(box.coverage.slice(0, 3).map((d) => d.plannedPortions + d.extraPortions)).toEqual([0, 0, 0]);
  });

  test('budget too small: the cheaper fruit is packed, the days it cannot pay for are named budget', () => {
    const catalogue = [fruit('apple', { unitCost: parseMoney('2.00') }), fruit('cherry', { unitCost: parseMoney('9.00'), portionsPerUnit: 3 })];
    const request = onePerson(catalogue, { budget: parseMoney('9.00') });
    const box = planBox(request);
    // At the dearest level (cherries, ¥3 a portion) the cherries cover days 0–2 and spend the budget: 4 days
    // short, more than the cheapest cover. At the apple level: four apples cost 8.00, a fifth would make
    // 10.00 > 9.00, and cherries (9.00 a unit) do not fit the 1.00 left: days 4–6 are short 1 portion each.
    expect(itemsOf(box)).toEqual(['apple ×4 = 4p 2027-03-01..2027-03-14 ¥8.00']);
    expect(box.uncoveredDays).toEqual([
      { date: '2027-03-05', missingPortions: 1, reason: 'budget' },
      { date: '2027-03-06', missingPortions: 1, reason: 'budget' },
      { date: '2027-03-07', missingPortions: 1, reason: 'budget' },
    ]);
    expect(box.cost.lte(request.budget)).toBe(true);
  });

  test('a zero budget packs nothing and names every day', () => {
    const box = planBox(onePerson([fruit('apple')], { budget: new Decimal(0) }));
    expect(box.items).toEqual([]);
    expect(box.cost.isZero()).toBe(true);
    expect(box.uncoveredDays.map((d) => d.reason)).toEqual(Array(7).fill('budget'));
  });

  test('an orchard short of fruit: unitLimits leave supply days', () => {
    const catalogue = [fruit('apple'), fruit('pear', { unitCost: parseMoney('3.00'), goodDays: 3 })];
    const box = planBox(
      onePerson(catalogue, {
        unitLimits: new Map([
          ['apple', 2],
          ['pear', 2],
        ]),
      }),
    );
    // Pears are worth more (3.00 a portion): a pear on day 0, an apple (a new kind) on day 1, the second pear
    // on day 2 (its last), the second apple on day 3. Days 4–6: the orchard has no more of either.
    expect(itemsOf(box)).toEqual(['apple ×2 = 2p 2027-03-01..2027-03-14 ¥4.00', 'pear ×2 = 2p 2027-03-01..2027-03-03 ¥6.00']);
    expect(box.uncoveredDays).toEqual(['2027-03-05', '2027-03-06', '2027-03-07'].map((date) => ({ date, missingPortions: 1, reason: 'supply' })));
  });

  test('supply, not budget, when the exhausted fruit was affordable', () => {
    const box = planBox(onePerson([fruit('apple')], { unitLimits: new Map([['apple', 0]]) }));
    expect(box.uncoveredDays.map((d) => d.reason)).toEqual(Array(7).fill('supply'));
  });
});

describe('planBox: ethylene', () => {
  const apple = fruit('apple', { goodDays: 4, ethylene: { producer: true, sensitive: false } });
  const kiwi = fruit('kiwi', { ripeningDays: [2, 3], goodDays: 5, unitCost: parseMoney('1.00'), ethylene: { producer: false, sensitive: true } });

  test('a sensitive fruit packed with a producer ripens a day sooner, and the coverage counts it', () => {
    const box = planBox(onePerson([apple, kiwi]));
    // Apart, kiwi is edible days 3..(2 + 5 − 1) = 3–6 and apples days 0–3. Keeping them apart, the first
    // apple (day 0) shuts kiwi out and days 4–6 have nothing: 3 portions missing. Packed together,
    // kiwi ripens one day sooner: days 2–5 (counted as 3–5, the days it is edible either way);
    // only day 6 is missing, so the planner mixes them and names day 6. Each day also eats 1 extra.
    expect(itemsOf(box)).toEqual(['apple ×8 = 8p 2027-03-01..2027-03-04 ¥16.00', 'kiwi ×4 = 4p 2027-03-03..2027-03-06 ¥4.00 faster']);
    expect(daysOf(box)).toEqual([
      '2027-03-01 1/1 apple:1 + apple:1',
      '2027-03-02 1/1 apple:1 + apple:1',
      '2027-03-03 1/1 apple:1 + apple:1',
      '2027-03-04 1/1 apple:1 + apple:1',
      '2027-03-05 1/1 kiwi:1 + kiwi:1',
      '2027-03-06 1/1 kiwi:1 + kiwi:1',
      '2027-03-07 0/1',
    ]);
    expect(box.uncoveredDays).toEqual([{ date: '2027-03-07', missingPortions: 1, reason: 'nothing_ready' }]);
  });

  test('without a producer in the box, kiwi keeps its own pace and covers day 6', () => {
    const neutralApple = { ...apple, ethylene: { producer: false, sensitive: false } };
    const box = planBox(onePerson([neutralApple, kiwi]));
    expect(itemsOf(box)).toEqual(['apple ×8 = 8p 2027-03-01..2027-03-04 ¥16.00', 'kiwi ×6 = 6p 2027-03-04..2027-03-07 ¥6.00']);
    expect(box.uncoveredDays).toEqual([]);
  });

  test('producers and sensitive fruit stay apart when another fruit covers as well', () => {
    const grape = fruit('grape', { goodDays: 7, unitCost: parseMoney('2.20') });
    const box = planBox(onePerson([apple, grape, kiwi]));
    const packed = box.items.map((i) => i.fruitId);
    expect(packed.includes('apple') && packed.includes('kiwi')).toBe(false);
    expect(box.items.some((i) => i.ripensFaster)).toBe(false);
    expect(box.uncoveredDays).toEqual([]);
  });
});

describe('planBox: variety and determinism', () => {
  test('more than one kind: of two equal fruits, the box takes both', () => {
    const box = planBox(onePerson([fruit('apple'), fruit('pear')]));
    // Apple (tie, id order), then pear (a new kind), then the higher value: 2.00 ÷ (1 + n ÷ (7 ÷ 3)) for the
    // n-th unit, so they alternate; each day holds 1 + 1 extra.
    expect(itemsOf(box)).toEqual(['apple ×7 = 7p 2027-03-01..2027-03-14 ¥14.00', 'pear ×7 = 7p 2027-03-01..2027-03-14 ¥14.00']);
  });

  test('no fruit grows past half of the need while another still fits', () => {
    const catalogue = [fruit('cherry', { unitCost: parseMoney('9.00') }), fruit('apple'), fruit('pear')];
    const box = planBox(onePerson(catalogue));
    // Cherries are worth 4.5 × more, but once they make up 3 of the 7 portions of the week (a 4th would pass
    // half), apples and pears fill the rest of the days; then cherries again, as the room allows.
    const cherries = box.items.find((i) => i.fruitId === 'cherry')!;
    expect(cherries.units).toBeGreaterThanOrEqual(3);
    expect(box.items.map((i) => i.fruitId).sort()).toEqual(['apple', 'cherry', 'pear']);
    expect(box.coverage.every((day) => day.plannedPortions + day.extraPortions === 2)).toBe(true);
  });

  test('a fruit in the recent boxes is passed over for an equal one that was not', () => {
    // A budget for a single unit of 7 portions: which one is the recent boxes' choice.
    const catalogue = [fruit('apple', { portionsPerUnit: 7 }), fruit('pear', { portionsPerUnit: 7 })];
    const budget = parseMoney('2');
    expect(planBox(onePerson(catalogue, { budget })).items.map((i) => i.fruitId)).toEqual(['apple']);
    expect(planBox(onePerson(catalogue, { budget, recentBoxes: [['apple']] })).items.map((i) => i.fruitId)).toEqual(['pear']);
    // A penalty, not a ban: the only fruit in season is packed even if it was in every recent box.
    expect(planBox(onePerson([catalogue[0]], { budget, recentBoxes: [['apple'], ['apple']] })).items.map((i) => i.fruitId)).toEqual(['apple']);
  });

  test('the catalogue order does not change the box', () => {
    const request = familyOfThree('2026-11-11', '2026-11-09', { periodDays: 14 });
    expect(planBox({ ...request, catalogue: [...FRUIT_CATALOGUE].reverse() })).toEqual(planBox(request));
  });

  test('refuses a request it cannot plan', () => {
    expect(() => planBox(onePerson([fruit('apple')], { deliveryDate: '2027-02-30' }))).toThrow(RangeError);
    expect(() => planBox(onePerson([fruit('apple')], { householdSize: 0 }))).toThrow(RangeError);
    expect(() => planBox(onePerson([fruit('apple', { portionsPerUnit: 0 })]))).toThrow(RangeError);
    expect(() => planBox(onePerson([fruit('apple', { unitCost: new Decimal('2.005') })]))).toThrow(RangeError);
  });
});

describe('FRUIT_CATALOGUE', () => {
  const byId = new Map(FRUIT_CATALOGUE.map((f) => [f.id, f]));

  test('holds the common fruit of China with plannable figures', () => {
    const required = [
      'mango',
      'lychee',
      'peach',
      'kiwi',
      'mandarin',
      'navel-orange',
      'pomelo',
      'persimmon',
      'apple',
      'pear',
      'banana',
      'avocado',
      'grape',
      'strawberry',
      'cherry',
      'dragon-fruit',
      'watermelon',
      'jujube',
      'loquat',
      'plum',
      'apricot',
      'blueberry',
      'pineapple',
      'melon',
    ];
    expect(FRUIT_CATALOGUE.length).toBeGreaterThanOrEqual(24);
    expect(byId.size).toBe(FRUIT_CATALOGUE.length);
    for (const id of required) expect(byId.has(id)).toBe(true);
    for (const f of FRUIT_CATALOGUE) {
      expect(Number.isInteger(f.portionsPerUnit) && f.portionsPerUnit >= 1).toBe(true);
      expect(f.ripeningDays[0]).toBeLessThanOrEqual(f.ripeningDays[1]);
      expect(f.goodDays).toBeGreaterThanOrEqual(1);
      expect(f.seasons.flatMap((s) => s.months).every((m) => Number.isInteger(m) && m >= 1 && m <= 12)).toBe(true);
      expect(formatMoney(f.unitCost)).toMatch(/^\d+\.\d\d$/);
      expect(f.nameZh).not.toBe(f.nameEn);
    }
  });

  test('follows the seasonal calendar', () => {
    const inSeason = (id: string, month: number) => isInSeason(byId.get(id)!, month);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].every((m) => inSeason('banana', m))).toBe(true);
    expect([12, 1, 2].every((m) => inSeason('cherry', m))).toBe(true); // Chile
    expect(inSeason('kiwi', 4) && inSeason('kiwi', 10)).toBe(true); // New Zealand in spring, Shaanxi in autumn
    expect(inSeason('mango', 4) && inSeason('mango', 9)).toBe(true); // Hainan early, Panzhihua late
    expect(inSeason('lychee', 7) && !inSeason('lychee', 11)).toBe(true);
    expect(byId.get('persimmon')!.ripeningDays).toEqual([0, 0]); // Fuyu: eaten firm
    // Every month has fruit ready to eat on delivery.
    for (let month = 1; month <= 12; month++) expect(FRUIT_CATALOGUE.some((f) => f.ripeningDays[1] === 0 && isInSeason(f, month))).toBe(true);
  });
});
