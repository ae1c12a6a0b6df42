import { z } from 'zod';
import { toCsv } from '../platform/csv';
import { formatMoney, moneyString } from '../platform/money';
import { Download, route, type RouteDef } from '../platform/http/routes';
import type { FruitReports } from './fruit-reports';
import type { SubscriptionCatalogue } from './subscription-catalogue';
import { FruitDocument, toFruitDto } from './subscription.schemas';

const shipDate = z.iso.date('must be a ship date such as 2027-04-08');
const BoxStatus = z.enum(['planned', 'locked', 'paid', 'shipped', 'cancelled']);
const ByStatus = z.object({ planned: z.int(), locked: z.int(), paid: z.int(), shipped: z.int(), cancelled: z.int() });

export const ShipDateQuery = z.strictObject({ shipDate });
export const PickingListAllQuery = z.strictObject({ shipDate, format: z.enum(['json', 'csv']).optional() });
export const ShipDatesQuery = z.strictObject({
  from: z.iso.date('must be a date such as 2027-04-08'),
  days: z.coerce.number().int().min(1).max(62).default(28),
});

const FruitName = { fruitId: z.string(), nameZh: z.string(), nameEn: z.string(), unit: z.enum(['piece', 'kg']) };

export const FruitCatalogueDocument = z
  .object({
    items: z.array(FruitDocument.extend({ orchardName: z.string().nullable() })),
    orchards: z.array(z.object({ id: z.string(), name: z.string() })).meta({ description: 'Every orchard, for the supplier of a fruit' }),
  })
  .meta({ id: 'FruitCatalogue' });

export const ShortfallDocument = z
  .object({
    shipDate: z.iso.date(),
    week: z.string().meta({ description: 'The ISO week of the ship date: orchards commit per week' }),
    fruits: z.array(
      z.object({
        ...FruitName,
        orchardId: z.string().nullable(),
        orchardName: z.string().nullable(),
        committedUnits: z.int().nullable().meta({ description: "The orchard's commitment for the week (every ship date of it); null: no answer" }),
        askedUnits: z.int().meta({ description: "What this date's boxes would hold without the cut, as they would be planned at the last share" }),
        sharedUnits: z.int().meta({ description: 'Their shares, together' }),
        shortBoxes: z.int().meta({ description: 'Boxes whose share is below what they asked for' }),
        boxes: z.array(
          z.object({
            boxId: z.uuid(),
            subscriptionId: z.uuid(),
            deliveryDate: z.iso.date(),
            status: BoxStatus,
            cancelReason: z.string().nullable(),
            askedUnits: z.int(),
            shareUnits: z.int(),
            gotUnits: z.number().meta({ description: 'Units of the fruit in the box as planned now (within its share)' }),
            short: z.boolean().meta({ description: 'Its share is below what it asked for' }),
            instead: z
              .array(z.object({ fruitId: z.string(), nameZh: z.string(), units: z.number() }))
              .meta({ description: 'Fruit the box holds more of than before its first cut: what the planner put in instead' }),
            shortDays: z
              .array(z.object({ date: z.iso.date(), missingPortions: z.number() }))
              .meta({ description: "Days left short for lack of supply (the planner's `supply` reason)" }),
            price: moneyString.meta({ description: 'What the box is charged: less for days it leaves short' }),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Shortfalls' });

export const OperatorPickingList = z
  .object({
    shipDate: z.iso.date(),
    boxesByStatus: ByStatus.meta({ description: "The date's boxes by status: planned ones join the list when they are locked at their cutoff" }),
    items: z.array(z.object({ orchardId: z.string().nullable(), orchardName: z.string().nullable(), ...FruitName, units: z.number(), boxes: z.int() })),
  })
  .meta({ id: 'PickingListAll' });

export const ShipDatesDocument = z.object({
  items: z.array(z.object({ shipDate: z.iso.date(), boxesByStatus: ByStatus, shortBoxes: z.int() })),
});

/** Orchards by id, and every orchard (the factories module, wired in app.ts). */
export interface Orchards {
  names(ids: readonly string[]): Promise<Map<string, string>>;
  orchards(): Promise<{ id: string; name: string }[]>;
}

/** The operators' fruit desk (the console's 水果 page): the whole catalogue with its suppliers, shortfalls and picking lists per ship date. */
export function fruitRoutes(catalogue: SubscriptionCatalogue, reports: FruitReports, orchards: Orchards): RouteDef[] {
  const namesOf = (ids: (string | null)[]) => orchards.names([...new Set(ids.filter((id): id is string => id !== null))]);
  return [
    route({
      method: 'get',
      path: '/v1/fruit-catalogue',
      summary: 'Every fruit, those taken out of the catalogue too, with the orchard that supplies it; and every orchard (operators)',
      access: ['operator'],
      response: FruitCatalogueDocument,
      doc: { answer: 'The catalogue and the orchards' },
      handle: async () => {
        const [fruits, all] = await Promise.all([catalogue.allFruits(), orchards.orchards()]);
        const names = new Map(all.map((o) => [o.id, o.name]));
        return { items: fruits.map((f) => ({ ...toFruitDto(f), orchardName: f.orchardId ? (names.get(f.orchardId) ?? null) : null })), orchards: all };
      },
    }),
    route({
      method: 'get',
      path: '/v1/ship-dates',
      summary: 'Ship dates with fruit boxes, from a date: boxes by status and how many are short of a fruit (operators)',
      access: ['operator'],
      query: ShipDatesQuery,
      response: ShipDatesDocument,
      doc: { answer: 'The dates that have boxes, in order' },
      handle: async ({ query }) => ({ items: await reports.shipDates(query.from, query.days) }),
    }),
    route({
      method: 'get',
      path: '/v1/shortfalls',
      summary:
        "The fruit orchards are short of for a ship date's week, and each box's fair share: what it asked, got, got instead, and the days left short (operators)",
      access: ['operator'],
      query: ShipDateQuery,
      response: ShortfallDocument,
      doc: {
        description:
          'When an orchard commits fewer units of a fruit for a week than the boxes need, the boxes not yet locked share what is left in proportion to what they asked (docs/fruit-subscriptions.md § Sharing a shortfall fairly). Listed: every fruit the orchard committed for the week or a box of the date shared.',
        answer: 'The shortfalls of the date',
      },
      handle: async ({ query }) => {
        const { week, fruits } = await reports.shortfalls(query.shipDate);
        const names = await namesOf(fruits.map((f) => f.fruit.orchardId));
        const nameZh = new Map((await catalogue.allFruits()).map((f) => [f.id, f.nameZh]));
        return {
          shipDate: query.shipDate,
          week,
          fruits: fruits.map(({ fruit, committedUnits, askedUnits, sharedUnits, boxes }) => ({
            fruitId: fruit.id,
            nameZh: fruit.nameZh,
            nameEn: fruit.nameEn,
            unit: fruit.unit,
            orchardId: fruit.orchardId,
            orchardName: fruit.orchardId ? (names.get(fruit.orchardId) ?? null) : null,
            committedUnits,
            askedUnits,
            sharedUnits,
            shortBoxes: boxes.filter((b) => b.shareUnits < b.askedUnits).length,
            boxes: boxes.map((b) => ({
              boxId: b.box.id,
              subscriptionId: b.box.subscriptionId,
              deliveryDate: b.box.deliveryDate,
              status: b.box.status,
              cancelReason: b.box.cancelReason,
              askedUnits: b.askedUnits,
              shareUnits: b.shareUnits,
              gotUnits: b.gotUnits,
              short: b.shareUnits < b.askedUnits,
              instead: b.instead.map((i) => ({ ...i, nameZh: nameZh.get(i.fruitId) ?? i.fruitId })),
              shortDays: b.shortDays,
              price: formatMoney(b.box.price),
            })),
          })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/picking-lists',
      summary:
        "What is picked and packed for a ship date, every orchard's fruit from the boxes locked at their cutoff, as JSON or as CSV (UTF-8 with a BOM) with `?format=csv` or `Accept: text/csv` (operators)",
      access: ['operator'],
      query: PickingListAllQuery,
      response: OperatorPickingList,
      doc: { answer: 'The picking list', files: { 'text/csv': 'The picking list as CSV, one row per orchard and fruit' } },
      handle: async ({ query, req }) => {
        const { lines, boxesByStatus } = await reports.pickingList(query.shipDate);
        const names = await namesOf(lines.map((l) => l.fruit.orchardId));
        const items = lines.map(({ fruit, units, boxes }) => ({
          orchardId: fruit.orchardId,
          orchardName: fruit.orchardId ? (names.get(fruit.orchardId) ?? null) : null,
          fruitId: fruit.id,
          nameZh: fruit.nameZh,
          nameEn: fruit.nameEn,
          unit: fruit.unit,
          units,
          boxes,
        }));
        const csv = query.format === 'csv' || (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv) {
          const csvText = toCsv(
            ['发货日期 ship date', '果园 orchard', '水果 fruit', 'fruit', '单位 unit', '数量 units', '箱数 boxes'],
            items.map((i) => [query.shipDate, i.orchardName ?? '', i.nameZh, i.nameEn, i.unit === 'kg' ? '公斤 kg' : '个 piece', i.units, i.boxes]),
          );
          return new Download('text/csv; charset=utf-8', `picking-list-${query.shipDate}.csv`, csvText);
        }
        return { shipDate: query.shipDate, boxesByStatus, items };
      },
    }),
  ];
}
