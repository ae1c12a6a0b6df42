import type { FactoryService } from '../factories';
import type { Clock } from '../platform/clock';
import { type Database, isUniqueViolation } from '../platform/database';
import { type FieldError, badRequest, notFound } from '../platform/http/app-error';
import type { Jobs } from '../platform/jobs';
import { PLAN_AHEAD_JOB } from './box-planning';
import { STARTER_PLANS, starterFruits } from './catalogue';
import { FruitRow, PlanRow } from './subscription.entity';

/** What an operator may change of a fruit (PATCH /v1/fruits/:id). */
export type FruitChange = Partial<
  Pick<FruitRow, 'unitCost' | 'seasons' | 'ripeningMinDays' | 'ripeningMaxDays' | 'goodDays' | 'active' | 'orchardId'> & {
    ethylene: { producer: boolean; sensitive: boolean };
  }
>;

/** The fruit catalogue and the plans: the starter set of a new installation, what is offered, an operator's change to a fruit. */
export class SubscriptionCatalogue {
  constructor(private readonly deps: { db: Database; clock: Clock; jobs: Jobs; factories: Pick<FactoryService, 'kindOf'> }) {}

  /** On a new installation, the starter catalogue and plans; an installation that has them is left alone. */
  async ensureCatalogue(): Promise<void> {
    try {
      await this.deps.db.transaction(async (tx) => {
        if ((await tx.count(FruitRow)) === 0) await tx.insert(FruitRow, starterFruits(this.deps.clock.now()));
        if ((await tx.count(PlanRow)) === 0)
          await tx.insert(
            PlanRow,
            STARTER_PLANS.map((p) => ({ ...p, active: true })),
          );
      });
    } catch (error) {
      // A second process starting on the same new database (the CLI beside the service) put them in first.
      if (!isUniqueViolation(error)) throw error;
    }
  }

  async fruits(): Promise<FruitRow[]> {
    return this.deps.db.read((tx) => tx.find(FruitRow, { where: { active: true }, order: { id: 'ASC' } }));
  }

  /** Every fruit, those taken out of the catalogue too (operators edit them). */
  async allFruits(): Promise<FruitRow[]> {
    return this.deps.db.read((tx) => tx.find(FruitRow, { order: { id: 'ASC' } }));
  }

  async plans(): Promise<PlanRow[]> {
    return this.deps.db.read((tx) => tx.find(PlanRow, { where: { active: true }, order: { id: 'ASC' } }));
  }

  /**
   * An operator's change to a fruit; boxes not yet locked follow it at the next planning run. Refused (400,
   * each bad field with its reason) where the planner could not use the fruit as changed: ripening that
   * starts after it ends (`above_ripening_max`, `below_ripening_min`, with the other end as limit), an orchard that is not one (`not_an_orchard`). A fruit
   * that ripens over more days than it keeps is legal (the planner never counts it: its guaranteed edible
   * window is empty) and shown so (`edibleDays: null`).
   */
  async updateFruit(fruitId: string, patch: FruitChange): Promise<FruitRow> {
    return this.deps.db.transaction(async (tx) => {
      const fruit = await tx.findOneBy(FruitRow, { id: fruitId });
      if (!fruit) throw notFound('The fruit');
      const { ethylene, ...columns } = patch;
      Object.assign(fruit, columns, ethylene && { ethyleneProducer: ethylene.producer, ethyleneSensitive: ethylene.sensitive }, {
        updatedAt: this.deps.clock.now(),
      });
      const errors: FieldError[] = [];
      if (fruit.ripeningMinDays > fruit.ripeningMaxDays) {
        // On the field the operator changed: the shortest ripening above the longest, or the longest below the shortest.
        errors.push(
          patch.ripeningMinDays !== undefined
            ? { path: 'body.ripeningMinDays', message: 'must not be above ripeningMaxDays', reason: 'above_ripening_max', limit: fruit.ripeningMaxDays }
            : { path: 'body.ripeningMaxDays', message: 'must not be below ripeningMinDays', reason: 'below_ripening_min', limit: fruit.ripeningMinDays },
        );
      }
      if (patch.orchardId && (await this.deps.factories.kindOf(tx, patch.orchardId)) !== 'orchard') {
        errors.push({ path: 'body.orchardId', message: 'is not an orchard', reason: 'not_an_orchard' });
      }
      if (errors.length > 0)
        throw badRequest('validation_failed', `The fruit cannot be changed so: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, errors);
      await tx.save(fruit);
      // Edits come in bursts (an operator going through the prices): one planning run at the start of the
      // next minute for all the edits of this one, instead of a run of the whole planning job per edit.
      const runAt = new Date(Math.floor(this.deps.clock.now().getTime() / 60_000) * 60_000 + 60_000);
      await this.deps.jobs.enqueue(tx, PLAN_AHEAD_JOB, {}, { key: `after-fruit-edits:${runAt.toISOString()}`, runAt });
      return fruit;
    });
  }
}
