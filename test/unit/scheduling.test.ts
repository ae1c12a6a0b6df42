import { Decimal, formatMoney, parseMoney } from '../../src/platform/money';
import { type BoxRequest, FRUIT_CATALOGUE, type Fruit, type PlannedBox, isInSeason, planBox } from '../../src/scheduling';

/** A family of three, one portion each a day: 3 portions a day, 21 a week. */
function familyOfThree(deliveryDate: string, shipDate: string, overrides: Partial<BoxRequest> = {}): BoxRequest {
  return {
    deliveryDate, shipDate, periodDays: 7, householdSize: 3, portionsPerPersonPerDay: 1,
    exclusions: [], budget: parseMoney('200'), recentBoxes: [], catalogue: FRUIT_CATALOGUE,
    ...overrides,
  };
}

/** A made-up fruit for rules that are easier to check by hand than with the real catalogue. */
function fruit(id: string, figures: Partial<Fruit> = {}): Fruit {
  return {
    id, nameZh: id, nameEn: id, unit: 'piece', portionsPerUnit: 1, ripeningDays: [0, 0], goodDays: 14,
    seasons: [{ origin: 'anywhere', months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }],
    ethylene: { producer: false, sensitive: false }, unitCost: parseMoney('2'),
    ...figures,
  };
}

/** One person, one portion a day, a week from Monday 2027-03-01. */
function onePerson(catalogue: Fruit[], overrides: Partial<BoxRequest> = {}): BoxRequest {
  return {
    deliveryDate: '2027-03-01', shipDate: '2027-02-27', periodDays: 7, householdSize: 1, portionsPerPersonPerDay: 1,
    exclusions: [], budget: parseMoney('100'), recentBoxes: [], catalogue, ...overrides,
  };
}

/** The box in a compact form: items, then day by day what is eaten. */
const itemsOf = (box: PlannedBox) => box.items.map((i) => `${i.fruitId} ×${i.units} = ${i.portions}p ${i.edibleFrom}..${i.edibleUntil} ¥${formatMoney(i.cost)}${i.ripensFaster ? ' faster' : ''}`);
const daysOf = (box: PlannedBox) => box.coverage.map((d) => `${d.date} ${d.plannedPortions}/${d.neededPortions} ${d.fruits.map((f) => `${f.fruitId}:${f.portions}`).join(' ')}`.trim());

describe('planBox: worked examples with the catalogue', () => {
  test('July, family of three: watermelon first, then bananas and a mango as they ripen', () => {
    const box = planBox(familyOfThree('2026-07-15', '2026-07-13'));
    // Day 0 (Jul 15) only ready-to-eat fruit is edible. Score = cost per useful portion × (1 + share of the
    // week's 21 portions the fruit would supply):
    //   watermelon 18.00/12 = 1.50 × (1 + 12/21) = 2.36   apple 2.50/1 × (1 + 1/21) = 2.62
    //   dragon fruit 5.00/2 = 2.50 × (1 + 2/21) = 2.74     grape 12.00/5 = 2.40 × (1 + 5/21) = 2.97
    //   lychee 18.00/6 (only days 0–1 are left in its window: 6 useful portions) × (1 + 8/21) = 4.14
    // → one watermelon, 12 portions: 3 a day for Jul 15–18.
    // Day 4 (Jul 19): banana (ripening 2–4 d, good 4 d → window days 4–5) 1.50 × (1 + 1/21) = 1.57 beats
    //   mango (ripening 3–4 d, good 4 d → days 4–6) 4.00/2 × (1 + 2/21) = 2.19: 3 bananas, and 3 more on day 5
    //   (the sixth: 1.50 × (1 + 6/21) = 1.93, still below the mango).
    // Day 6 (Jul 21): bananas are over; a mango (2.19) gives 2 portions; the last portion: another mango
    //   would be 4.00/1 × (1 + 4/21) = 4.76, an apple 2.62 → one apple.
    // Cost: 18.00 + 6 × 1.50 + 4.00 + 2.50 = 33.50.
    expect(itemsOf(box)).toEqual([
      'apple ×1 = 1p 2026-07-15..2026-07-28 ¥2.50',
      'watermelon ×1 = 12p 2026-07-15..2026-07-21 ¥18.00',
      'banana ×6 = 6p 2026-07-19..2026-07-20 ¥9.00',
      'mango ×1 = 2p 2026-07-19..2026-07-21 ¥4.00',
    ]);
    expect(daysOf(box)).toEqual([
      '2026-07-15 3/3 watermelon:3',
      '2026-07-16 3/3 watermelon:3',
      '2026-07-17 3/3 watermelon:3',
      '2026-07-18 3/3 watermelon:3',
      '2026-07-19 3/3 banana:3',
      '2026-07-20 3/3 banana:3',
      '2026-07-21 3/3 mango:2 apple:1',
    ]);
    expect(formatMoney(box.cost)).toBe('33.50');
    expect(box.uncoveredDays).toEqual([]);
  });

  test('July without mango: apples cover the last day', () => {
    const box = planBox(familyOfThree('2026-07-15', '2026-07-13', { exclusions: ['mango'] }));
    // Days 0–5 as above. Day 6: the 1st apple 2.50 × (1 + 1/21) = 2.62 beats dragon fruit 5.00/2 × (1 + 2/21)
    // = 2.74; the 2nd apple 2.50 × (1 + 2/21) = 2.74 ties dragon fruit and wins on id order; the 3rd,
    // 2.50 × (1 + 3/21) = 2.86, beats dragon fruit with one portion left to eat: 5.00/1 × (1 + 2/21) = 5.48.
    // Cost: 18.00 + 9.00 + 3 × 2.50 = 34.50.
    expect(itemsOf(box)).toEqual([
      'apple ×3 = 3p 2026-07-15..2026-07-28 ¥7.50',
      'watermelon ×1 = 12p 2026-07-15..2026-07-21 ¥18.00',
      'banana ×6 = 6p 2026-07-19..2026-07-20 ¥9.00',
    ]);
    expect(daysOf(box).at(-1)).toBe('2026-07-21 3/3 apple:3');
    expect(formatMoney(box.cost)).toBe('34.50');
    expect(box.uncoveredDays).toEqual([]);
  });

  test('November, family of three: citrus first, kiwi ripening for the end of the week', () => {
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09'));
    // Day 0: mandarin 8.00/6 × (1 + 6/21) = 1.71 beats pomelo 12.00/8 × (1 + 8/21) = 2.07 and navel orange
    //   2.00 × (1 + 1/21) = 2.10: 1 kg of mandarins, 6 portions for Nov 11–12.
    // Day 2: a second kilo 8.00/6 × (1 + 12/21) = 2.10 loses to the pomelo (2.07): 8 portions, Nov 13–14 and 2 on Nov 15.
    // Day 4 (Nov 15), 1 portion short: kiwi (ripening 2–3 d, good 5 d → days 3–6) 1.20 × (1 + 1/21) = 1.26
    //   beats banana 1.50 × (1 + 1/21) = 1.57. Once kiwi is packed, bananas (ethylene) stay out; kiwi
    //   covers the rest: 1 + 3 + 3 = 7 kiwis. Cost: 8.00 + 12.00 + 7 × 1.20 = 28.40.
    expect(itemsOf(box)).toEqual([
      'mandarin ×1 = 6p 2026-11-11..2026-11-20 ¥8.00',
      'pomelo ×1 = 8p 2026-11-11..2026-12-01 ¥12.00',
      'kiwi ×7 = 7p 2026-11-14..2026-11-17 ¥8.40',
    ]);
    expect(daysOf(box)).toEqual([
      '2026-11-11 3/3 mandarin:3',
      '2026-11-12 3/3 mandarin:3',
      '2026-11-13 3/3 pomelo:3',
      '2026-11-14 3/3 pomelo:3',
      '2026-11-15 3/3 pomelo:2 kiwi:1',
      '2026-11-16 3/3 kiwi:3',
      '2026-11-17 3/3 kiwi:3',
    ]);
    expect(box.uncoveredDays).toEqual([]);
  });

  test('November without kiwi: bananas ripen for days 4–5, navel oranges keep for day 6', () => {
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09', { exclusions: ['kiwi'] }));
    // Days 0–3 as above. Day 4: banana 1.57 is now the cheapest: 1 banana, and 3 on day 5 (the 4th:
    // 1.50 × (1 + 4/21) = 1.79). Day 6: bananas are over; navel oranges 2.00 × (1 + n/21) for n = 1..3
    // (2.10, 2.19, 2.29) beat a second kilo of mandarins 8.00/3 × (1 + 12/21) = 4.19.
    // Cost: 8.00 + 12.00 + 4 × 1.50 + 3 × 2.00 = 32.00.
    expect(itemsOf(box)).toEqual([
      'mandarin ×1 = 6p 2026-11-11..2026-11-20 ¥8.00',
      'navel-orange ×3 = 3p 2026-11-11..2026-11-24 ¥6.00',
      'pomelo ×1 = 8p 2026-11-11..2026-12-01 ¥12.00',
      'banana ×4 = 4p 2026-11-15..2026-11-16 ¥6.00',
    ]);
    expect(daysOf(box).slice(4)).toEqual(['2026-11-15 3/3 pomelo:2 banana:1', '2026-11-16 3/3 banana:3', '2026-11-17 3/3 navel-orange:3']);
    expect(formatMoney(box.cost)).toBe('32.00');
    expect(box.uncoveredDays).toEqual([]);
  });

  test('November, fortnightly: kiwi ripens mid-box and long keepers carry days 8–14', () => {
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09', { periodDays: 14, budget: parseMoney('400') }));
    expect(box.uncoveredDays).toEqual([]);
    expect(box.coverage).toHaveLength(14);
    expect(box.coverage.every((day) => day.plannedPortions === 3)).toBe(true);
    expect(box.items.map((i) => i.fruitId)).toContain('kiwi');
    // Days 8–14 (Nov 18–24) are eaten from fruit that keeps more than a week once ripe.
    const lateFruit = new Set(box.coverage.slice(7).flatMap((day) => day.fruits.map((f) => f.fruitId)));
    for (const id of lateFruit) expect(FRUIT_CATALOGUE.find((f) => f.id === id)!.goodDays).toBeGreaterThanOrEqual(10);
  });
});

describe('planBox: uncovered days are named, never silent', () => {
  test('nothing ready to eat: the first days are nothing_ready when every ready-to-eat fruit is excluded', () => {
    const readyToEat = FRUIT_CATALOGUE.filter((f) => f.ripeningDays[1] === 0).map((f) => f.id);
    const box = planBox(familyOfThree('2026-11-11', '2026-11-09', { exclusions: readyToEat }));
    // In season in November and ripening: kiwi (ready from day 3), banana (day 4), pear and avocado (day 5).
    // Days 0–2 have nothing edible; kiwi (1.20) covers days 3–6 and keeps the ethylene producers out.
    expect(box.uncoveredDays).toEqual([
      { date: '2026-11-11', missingPortions: 3, reason: 'nothing_ready' },
      { date: '2026-11-12', missingPortions: 3, reason: 'nothing_ready' },
      { date: '2026-11-13', missingPortions: 3, reason: 'nothing_ready' },
    ]);
    expect(itemsOf(box)).toEqual(['kiwi ×12 = 12p 2026-11-14..2026-11-17 ¥14.40']);
    expect(box.coverage.slice(0, 3).map((d) => d.plannedPortions)).toEqual([0, 0, 0]);
  });

  test('budget too small: the cheaper fruit is packed, the days it cannot pay for are named budget', () => {
    const catalogue = [fruit('apple', { unitCost: parseMoney('2.00') }), fruit('cherry', { unitCost: parseMoney('9.00'), portionsPerUnit: 3 })];
    const box = planBox(onePerson(catalogue, { budget: parseMoney('9.00') }));
    // Apples score 2.00 × (1 + n/7) for the n-th, at most 3.14 for the 4th; cherries 9.00/3 × (1 + 3/7) = 4.29.
    // Four apples cost 8.00; a fifth would make 10.00 > 9.00, and cherries (9.00 a unit) do not fit the
    // 1.00 left: days 4–6 are short 1 portion each.
    expect(itemsOf(box)).toEqual(['apple ×4 = 4p 2027-03-01..2027-03-14 ¥8.00']);
    expect(box.uncoveredDays).toEqual([
      { date: '2027-03-05', missingPortions: 1, reason: 'budget' },
      { date: '2027-03-06', missingPortions: 1, reason: 'budget' },
      { date: '2027-03-07', missingPortions: 1, reason: 'budget' },
    ]);
    expect(box.cost.lte(parseMoney('9.00'))).toBe(true);
  });

  test('a zero budget packs nothing and names every day', () => {
    const box = planBox(onePerson([fruit('apple')], { budget: new Decimal(0) }));
    expect(box.items).toEqual([]);
    expect(box.cost.isZero()).toBe(true);
    expect(box.uncoveredDays.map((d) => d.reason)).toEqual(Array(7).fill('budget'));
  });

  test('an orchard short of fruit: unitLimits leave supply days', () => {
    const catalogue = [fruit('apple'), fruit('pear', { unitCost: parseMoney('3.00'), goodDays: 3 })];
    const box = planBox(onePerson(catalogue, { unitLimits: new Map([['apple', 2], ['pear', 2]]) }));
    // Apples (2.00) beat pears (3.00): the orchard's 2 apples cover days 0–1. Day 2: a pear (edible days
    // 0–2). Days 3–6: pears are over; only apples could cover them, and the orchard has none left.
    expect(itemsOf(box)).toEqual(['apple ×2 = 2p 2027-03-01..2027-03-14 ¥4.00', 'pear ×1 = 1p 2027-03-01..2027-03-03 ¥3.00']);
    expect(box.uncoveredDays).toEqual(['2027-03-04', '2027-03-05', '2027-03-06', '2027-03-07'].map((date) => ({ date, missingPortions: 1, reason: 'supply' })));
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
    // only day 6 is missing, so the planner mixes them and names day 6.
    expect(itemsOf(box)).toEqual(['apple ×3 = 3p 2027-03-01..2027-03-04 ¥6.00', 'kiwi ×3 = 3p 2027-03-03..2027-03-06 ¥3.00 faster']);
    expect(daysOf(box)).toEqual([
      '2027-03-01 1/1 apple:1',
      '2027-03-02 1/1 apple:1',
      '2027-03-03 1/1 apple:1',
      '2027-03-04 1/1 kiwi:1',
      '2027-03-05 1/1 kiwi:1',
      '2027-03-06 1/1 kiwi:1',
      '2027-03-07 0/1',
    ]);
    expect(box.uncoveredDays).toEqual([{ date: '2027-03-07', missingPortions: 1, reason: 'nothing_ready' }]);
  });

  test('without a producer in the box, kiwi keeps its own pace and covers day 6', () => {
    const neutralApple = { ...apple, ethylene: { producer: false, sensitive: false } };
    const box = planBox(onePerson([neutralApple, kiwi]));
    expect(itemsOf(box)).toEqual(['apple ×3 = 3p 2027-03-01..2027-03-04 ¥6.00', 'kiwi ×4 = 4p 2027-03-04..2027-03-07 ¥4.00']);
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
  test('more than one kind: of two equal fruits, the box takes both in turn', () => {
    const box = planBox(onePerson([fruit('apple'), fruit('pear')]));
    // 2.00 × (1 + n/7) for the n-th unit of a kind: apple (tie, id order), pear, apple, pear, ...
    expect(itemsOf(box)).toEqual(['apple ×4 = 4p 2027-03-01..2027-03-14 ¥8.00', 'pear ×3 = 3p 2027-03-01..2027-03-14 ¥6.00']);
  });

  test('a fruit in the recent boxes is passed over for an equal one that was not', () => {
    const catalogue = [fruit('apple', { portionsPerUnit: 7 }), fruit('pear', { portionsPerUnit: 7 })];
    expect(planBox(onePerson(catalogue)).items.map((i) => i.fruitId)).toEqual(['apple']);
    expect(planBox(onePerson(catalogue, { recentBoxes: [['apple']] })).items.map((i) => i.fruitId)).toEqual(['pear']);
    // A penalty, not a ban: the only fruit in season is packed even if it was in every recent box.
    expect(planBox(onePerson([catalogue[0]], { recentBoxes: [['apple'], ['apple']] })).items.map((i) => i.fruitId)).toEqual(['apple']);
  });

  test('the catalogue order does not change the box', () => {
    const request = familyOfThree('2026-11-11', '2026-11-09', { periodDays: 14 });
    expect(planBox({ ...request, catalogue: [...FRUIT_CATALOGUE].reverse() })).toEqual(planBox(request));
  });

  test('refuses a request it cannot plan', () => {
    expect(() => planBox(onePerson([fruit('apple')], { deliveryDate: '2027-02-30' }))).toThrow(RangeError);
    expect(() => planBox(onePerson([fruit('apple')], { householdSize: 0 }))).toThrow(RangeError);
    expect(() => planBox(onePerson([fruit('apple', { portionsPerUnit: 0 })]))).toThrow(RangeError);
  });
});

describe('FRUIT_CATALOGUE', () => {
  const byId = new Map(FRUIT_CATALOGUE.map((f) => [f.id, f]));

  test('holds the common fruit of China with plannable figures', () => {
    const required = ['mango', 'lychee', 'peach', 'kiwi', 'mandarin', 'navel-orange', 'pomelo', 'persimmon', 'apple', 'pear', 'banana', 'avocado', 'grape', 'strawberry', 'cherry', 'dragon-fruit', 'watermelon', 'jujube', 'loquat', 'plum', 'apricot', 'blueberry', 'pineapple', 'melon'];
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
