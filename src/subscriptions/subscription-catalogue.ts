import type { FactoryService } from '../factories';
import type { Clock } from '../platform/clock';
import { type Database, isUniqueViolation } from '../platform/database';
import { badRequest, notFound } from '../platform/http/app-error';
import type { Jobs } from '../platform/jobs';
import { PLAN_AHEAD_JOB } from './box-planning';
import { STARTER_PLANS, starterFruits } from './catalogue';
import { FruitRow, PlanRow } from './subscription.entity';

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

  async plans(): Promise<PlanRow[]> {
    return this.deps.db.read((tx) => tx.find(PlanRow, { where: { active: true }, order: { id: 'ASC' } }));
  }

  /** An operator's change to a fruit; boxes not yet locked follow it at the next planning run. */
  async updateFruit(
    fruitId: string,
    patch: Partial<Pick<FruitRow, 'unitCost' | 'seasons' | 'ripeningMinDays' | 'ripeningMaxDays' | 'goodDays' | 'active' | 'orchardId'>>,
  ): Promise<FruitRow> {
    return this.deps.db.transaction(async (tx) => {
      const fruit = await tx.findOneBy(FruitRow, { id: fruitId });
      if (!fruit) throw notFound('The fruit');
      Object.assign(fruit, patch, { updatedAt: this.deps.clock.now() });
      if (fruit.ripeningMinDays > fruit.ripeningMaxDays)
        throw badRequest('validation_failed', 'ripeningMinDays must not be above ripeningMaxDays.', [
          { path: 'body.ripeningMinDays', message: 'must not be above ripeningMaxDays' },
        ]);
      if (patch.orchardId && (await this.deps.factories.kindOf(tx, patch.orchardId)) !== 'orchard') {
        throw badRequest('validation_failed', 'orchardId must be an orchard: a factory of kind "orchard".', [
          { path: 'body.orchardId', message: 'is not an orchard' },
        ]);
      }
      await tx.save(fruit);
      // Edits come in bursts (an operator going through the prices): one planning run at the start of the
      // next minute for all the edits of this one, instead of a run of the whole planning job per edit.
      const runAt = new Date(Math.floor(this.deps.clock.now().getTime() / 60_000) * 60_000 + 60_000);
      await this.deps.jobs.enqueue(tx, PLAN_AHEAD_JOB, {}, { key: `after-fruit-edits:${runAt.toISOString()}`, runAt });
      return fruit;
    });
  }
}
