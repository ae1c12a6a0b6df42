import { In, MoreThan } from 'typeorm';
import type { CampaignRow, CampaignService, DecisionObserver } from '../campaigns';
import { type FactoryService, type FactoryWebhooks, type WebhookHealth, type WebhookHealthSource, type WebhookTarget, webhookNotSet } from '../factories';
import type { PledgeTallies } from '../pledges';
import { businessDay, isoWeekDates, isoWeekOf } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import type { Config } from '../platform/config';
import { type Database, type Tx, storedTimestamp } from '../platform/database';
import { type FieldError, badRequest, conflict, notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import { type Principal, subjectOf } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import {
  type LineContent,
  type MeasureUnit,
  type UnitTotal,
  actualKey,
  commitmentCarries,
  forecastAccuracy,
  lineKey,
  nextVersionLines,
  plannedUnits,
  sortedTotals,
  unitTotals,
} from './batch';
import { type CampaignForecast, type Conversion, balanceConversion, forecastCampaign, isLive, weeklyTotals } from './forecast';
import { type RowResult, type UploadRow, checkRows } from './upload';
import { type BatchTrigger, CommitmentRow, ForecastBatchRow, ForecastLineRow, type ShortfallReason, WebhookDeliveryRow } from './forecast.entity';

export const PUBLISH_ALL_JOB = 'forecasts.publish-daily';
export const PUBLISH_JOB = 'forecasts.publish';
export const PUSH_JOB = 'forecasts.push-batch';
/** A batch not acknowledged this long after publishing is late, and operators are shown it. */
export const ACKNOWLEDGE_WITHIN_MS = 24 * 3600_000;

export type FactoryPrincipal = Extract<Principal, { role: 'factory' }>;

/** Demand a factory gets from elsewhere than campaigns (fruit boxes, for orchards): units per product and ISO week. */
export interface SupplyLine {
  /** Stable and unique per product across every source, at most 60 characters, e.g. `fruit:mango`: the lines' sourceKey. */
  sourceKey: string;
  title: string;
  unit: 'piece' | 'kg';
  week: string;
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
}

export interface DemandSource {
  supplyLines(tx: Tx, factoryId: string, now: Date): Promise<SupplyLine[]>;
  /**
   * The factory committed to supply lines (by source key and week), inside the commitment's transaction.
   * Every source hears every supply commitment and keeps those whose keys are its own.
   */
  supplyCommitted(tx: Tx, factoryId: string, commitments: readonly { sourceKey: string; week: string; quantity: number }[]): Promise<void>;
}

export interface LiveForecast {
  generatedAt: Date;
  conversion: Conversion;
  campaigns: CampaignForecast[];
  supplies: SupplyLine[];
  weeks: ReturnType<typeof weeklyTotals>;
}

/** A push attempt, and what comes after it (see ForecastService.withSchedule). */
export type DeliveryView = WebhookDeliveryRow & { nextAttemptAt: Date | null; gaveUpAt: Date | null };

export interface BatchSummary {
  batch: ForecastBatchRow;
  committedLines: number;
  /** A newer version of the factory's forecast exists. */
  superseded: boolean;
  /** Firm and expected units per unit of measure (pieces, kilograms), never added together. */
  totals: UnitTotal[];
}

export interface BatchDetail extends BatchSummary {
  lines: ForecastLineRow[];
  commitments: Map<string, CommitmentRow>;
}

export interface CommitInput {
  lineId: string;
  quantity: number;
  shipBy: string;
  reason?: ShortfallReason;
  note?: string;
}

/**
 * The factory side: the live forecast from the pledge tallies, versioned immutable batches published
 * daily and at every campaign decision, their push to the factory's webhook, acknowledgement,
 * commitments and forecast accuracy. A factory only ever reaches its own data: every method takes the
 * factory id from the caller's principal, and another factory's batch is "not found".
 */
export class ForecastService implements DecisionObserver, WebhookHealthSource {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      jobs: Jobs;
      campaigns: CampaignService;
      factories: FactoryService;
      tallies: PledgeTallies;
      webhooks: FactoryWebhooks;
      /** Other modules' demand, joining every factory's forecast and batches (the subscriptions module's orchard demand). */
      sources: readonly DemandSource[];
      config: Config['forecasts'];
    },
  ) {}

  /** A decided or cancelled campaign changes what its factory should make: publish at once (DecisionObserver). */
  async campaignDecided(tx: Tx, campaign: CampaignRow): Promise<void> {
    await this.deps.jobs.enqueue(
      tx,
      PUBLISH_JOB,
      { factoryId: campaign.factoryId, trigger: 'campaign_decided' },
      { key: `${campaign.factoryId}:${campaign.id}:${campaign.status}` },
    );
  }

  // ---- live forecast ----

  async live(factoryId: string): Promise<LiveForecast> {
    const now = this.deps.clock.now();
    const { conversion, campaigns, supplies } = await this.deps.db.read((tx) => this.forecast(tx, factoryId, now));
    return { generatedAt: now, conversion, campaigns, supplies, weeks: weeklyTotals(campaigns, supplies) };
  }

  /**
   * Reads a few rows per campaign and variant (the tallies), however many pledges there are. `shipped`:
   * the completed campaigns no longer live (their ship date has passed), whose lines leave the batches.
   */
  private async forecast(
    tx: Tx,
    factoryId: string,
    now: Date,
  ): Promise<{ conversion: Conversion; campaigns: CampaignForecast[]; supplies: SupplyLine[]; shipped: Set<string> }> {
    const all = await this.deps.campaigns.ofFactory(tx, factoryId);
    const live = all.filter((c) => isLive(c, now));
    const completed = all.filter((c) => c.status === 'completed');
    const shipped = new Set(completed.filter((c) => !isLive(c, now)).map((c) => c.id));
    const tallies = await this.deps.tallies.byVariant(tx, [...new Set([...live, ...completed].map((c) => c.id))]);
    const days = await this.deps.tallies.byDay(
      tx,
      live.map((c) => c.id),
    );
    const conversion = balanceConversion(completed.flatMap((c) => tallies.get(c.id)!));
    const supplies = (await Promise.all(this.deps.sources.map((source) => source.supplyLines(tx, factoryId, now)))).flat();
    return { conversion, campaigns: live.map((c) => forecastCampaign(c, tallies.get(c.id)!, days.get(c.id)!, conversion, now)), supplies, shipped };
  }

  // ---- batches ----

  /** Publishes the next version if anything changed since the last one; returns it, or undefined. */
  async publish(factoryId: string, trigger: BatchTrigger): Promise<ForecastBatchRow | undefined> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      // Publishes for one factory run one at a time (an operator's request beside the daily job, or
      // two operators at once): the second sees the first's version and publishes the next, or nothing.
      // An operator naming a factory that does not exist hears so, rather than "nothing changed".
      if (!(await this.deps.factories.lock(tx, factoryId))) throw notFound('The factory');
      const { campaigns, supplies, shipped } = await this.forecast(tx, factoryId, now);
      const current: LineContent[] = [
        ...campaigns.flatMap((c) =>
          c.variants.map((v): LineContent => ({
            kind: 'campaign',
            sourceKey: c.campaignId,
            campaignId: c.campaignId,
            campaignTitle: c.title,
            productName: c.productName,
            variant: v.variant,
            shipWeek: c.shipWeek,
            firmUnits: v.firmUnits,
            expectedUnits: v.expectedUnits,
            lowUnits: v.lowUnits,
            highUnits: v.highUnits,
          })),
        ),
        // A supply line has no campaign: its title stands where a campaign's would, its unit as the variant.
        ...supplies.map((l): LineContent => ({
          kind: 'supply',
          sourceKey: l.sourceKey,
          campaignId: null,
          campaignTitle: l.title,
          productName: l.title,
          variant: l.unit,
          shipWeek: l.week,
          firmUnits: l.firmUnits,
          expectedUnits: l.expectedUnits,
          lowUnits: l.lowUnits,
          highUnits: l.highUnits,
        })),
      ];
      const previous = await tx.findOne(ForecastBatchRow, { where: { factoryId }, order: { version: 'DESC' } });
      const previousLines = previous ? await tx.find(ForecastLineRow, { where: { batchId: previous.id } }) : [];
      const thisWeek = isoWeekOf(businessDay(now));
      const done = (line: LineContent) => (line.kind === 'campaign' ? shipped.has(line.sourceKey) : line.shipWeek < thisWeek);
      const { lines, changed } = nextVersionLines(current, previousLines, done);
      if (!changed) return undefined;

      const batch = Object.assign(new ForecastBatchRow(), {
        id: newId(),
        factoryId,
        version: (previous?.version ?? 0) + 1,
        trigger,
        publishedAt: now,
        lineCount: lines.length,
        firmUnits: lines.reduce((total, l) => total + l.firmUnits, 0),
        expectedUnits: lines.reduce((total, l) => total + l.expectedUnits, 0),
        acknowledgedAt: null,
        acknowledgedBy: null,
      });
      await tx.insert(ForecastBatchRow, batch);
      const rows = lines.map((line, i) => ({ ...line, id: newId(), batchId: batch.id, lineNo: i + 1 }));
      // Chunks keep each INSERT well under the databases' parameter limits.
      for (let i = 0; i < rows.length; i += 200) await tx.insert(ForecastLineRow, rows.slice(i, i + 200));
      if (previous) await this.carryOver(tx, batch, rows, previous);
      if (await this.deps.webhooks.target(tx, factoryId)) await this.deps.jobs.enqueue(tx, PUSH_JOB, { batchId: batch.id }, { key: batch.id });
      return batch;
    });
  }

  async enqueueDailyPublish(): Promise<void> {
    const day = businessDay(this.deps.clock.now());
    await this.deps.db.transaction(async (tx) => {
      // Every factory: one with nothing new publishes nothing.
      for (const factoryId of await this.deps.factories.ids(tx))
        await this.deps.jobs.enqueue(tx, PUBLISH_JOB, { factoryId, trigger: 'daily' }, { key: `${factoryId}:daily:${day}` });
    });
  }

  async list(factoryId: string, page: PageQuery): Promise<{ items: BatchSummary[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const [batches, total] = await tx.findAndCount(ForecastBatchRow, {
        where: { factoryId },
        order: { version: 'DESC' },
        skip: page.offset,
        take: page.limit,
      });
      const committed = await this.committedLineCounts(
        tx,
        batches.map((b) => b.id),
      );
      const latest = await this.latestVersion(tx, factoryId);
      const totals = await this.totalsByBatch(
        tx,
        batches.map((b) => b.id),
      );
      return {
        items: batches.map((batch) => ({
          batch,
          committedLines: committed.get(batch.id) ?? 0,
          superseded: batch.version < latest,
          totals: totals.get(batch.id) ?? [],
        })),
        total,
      };
    });
  }

  async get(factoryId: string, batchId: string): Promise<BatchDetail> {
    return this.deps.db.read(async (tx) => {
      const batch = await this.ownBatch(tx, factoryId, batchId);
      const lines = await tx.find(ForecastLineRow, { where: { batchId }, order: { lineNo: 'ASC' } });
      const commitments = new Map((await tx.find(CommitmentRow, { where: { batchId } })).map((c) => [c.lineId, c]));
      return {
        batch,
        lines,
        commitments,
        committedLines: commitments.size,
        superseded: batch.version < (await this.latestVersion(tx, factoryId)),
        totals: unitTotals(lines),
      };
    });
  }

  /** Acknowledging again changes nothing: the first acknowledgement stands. */
  async acknowledge(factory: FactoryPrincipal, batchId: string): Promise<ForecastBatchRow> {
    return this.deps.db.transaction(async (tx) => {
      const batch = await this.ownBatch(tx, factory.factoryId, batchId, true);
      await this.refuseSuperseded(tx, batch);
      if (!batch.acknowledgedAt) {
        Object.assign(batch, { acknowledgedAt: this.deps.clock.now(), acknowledgedBy: subjectOf(factory) });
        await tx.update(ForecastBatchRow, { id: batch.id }, { acknowledgedAt: batch.acknowledgedAt, acknowledgedBy: batch.acknowledgedBy });
      }
      return batch;
    });
  }

  /**
   * The factory's answers for lines of an acknowledged batch, all or none: a quantity and a ship-by
   * date each, and a reason where the quantity is below the line's firm units. Committing a line
   * again replaces its previous answer.
   */
  async commit(factory: FactoryPrincipal, batchId: string, answers: readonly CommitInput[]): Promise<void> {
    const now = this.deps.clock.now();
    const today = businessDay(now);
    await this.deps.db.transaction(async (tx) => {
      await this.answerable(tx, factory, batchId);
      const lines = new Map((await tx.find(ForecastLineRow, { where: { batchId, id: In(answers.map((a) => a.lineId)) } })).map((l) => [l.id, l]));
      const errors: FieldError[] = [];
      answers.forEach((answer, i) => {
        const line = lines.get(answer.lineId);
        if (!line) errors.push({ path: `body.lines.${i}.lineId`, message: 'is not a line of this batch', reason: 'not_in_batch' });
        else if (answer.quantity < line.firmUnits && !answer.reason)
          errors.push({
            path: `body.lines.${i}.reason`,
            message: `required when the quantity is below the firm units (${line.firmUnits}): capacity, material or other`,
            reason: 'reason_required',
            limit: line.firmUnits,
          });
        if (answer.shipBy < today) errors.push({ path: `body.lines.${i}.shipBy`, message: 'must be today or later', reason: 'date_in_past' });
      });
      if (errors.length > 0)
        throw badRequest('invalid_commitment', `The commitment is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`, errors);
      await tx.delete(CommitmentRow, { lineId: In(answers.map((a) => a.lineId)) });
      await this.record(
        tx,
        factory,
        batchId,
        answers.map((a) => ({ ...a, line: lines.get(a.lineId)! })),
        now,
      );
    });
  }

  /**
   * Answers from a file (the batch's CSV, filled in): every row checked against the batch as it is now
   * (checkRows), then, unless `preview`, all rows written or none: a row with an error refuses the whole
   * upload (400 invalid_upload, each error at body.rows.N.field). A row that repeats its line's answer
   * writes nothing, so the same upload sent twice changes nothing the second time. Returns each row's
   * result and how many lines were written.
   */
  async commitRows(
    factory: FactoryPrincipal,
    batchId: string,
    rows: readonly UploadRow[],
    preview: boolean,
  ): Promise<{ results: RowResult[]; written: number }> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const batch = await this.answerable(tx, factory, batchId);
      const lines = await tx.find(ForecastLineRow, { where: { batchId }, order: { lineNo: 'ASC' } });
      const answers = new Map((await tx.find(CommitmentRow, { where: { batchId } })).map((c) => [c.lineId, c]));
      const results = checkRows(rows, { version: batch.version, lines, answers }, businessDay(now));
      if (preview) return { results, written: 0 };
      const errors = results.flatMap((r, i) =>
        r.errors.map((e): FieldError => ({
          path: `body.rows.${i}.${e.field}`,
          message: e.message,
          reason: e.reason,
          ...(e.limit === undefined ? {} : { limit: e.limit }),
        })),
      );
      if (errors.length > 0)
        throw badRequest(
          'invalid_upload',
          `Nothing was committed: ${errors.length} error(s) in the rows: ${errors
            .slice(0, 10)
            .map((e) => `${e.path} ${e.message}`)
            .join('; ')}.`,
          errors,
        );
      const byId = new Map(lines.map((l) => [l.id, l]));
      const writes = results.filter((r) => r.outcome === 'new' || r.outcome === 'changed');
      if (writes.length === 0) return { results, written: 0 };
      await tx.delete(CommitmentRow, { lineId: In(writes.map((r) => r.lineId!)) });
      await this.record(
        tx,
        factory,
        batchId,
        writes.map((r) => {
          const { quantity, shipBy, reason, note } = r.answer!;
          return { line: byId.get(r.lineId!)!, lineId: r.lineId!, quantity, shipBy, ...(reason ? { reason } : {}), ...(note ? { note } : {}) };
        }),
        now,
      );
      return { results, written: writes.length };
    });
  }

  /** Writes the factory's own answers; supply lines (not campaigns) go back to the module whose demand they are: it may have to share a shortfall. */
  private async record(tx: Tx, factory: FactoryPrincipal, batchId: string, answers: readonly (CommitInput & { line: ForecastLineRow })[], now: Date) {
    await tx.insert(
      CommitmentRow,
      answers.map((a) => ({
        lineId: a.lineId,
        batchId,
        quantity: a.quantity,
        shipBy: a.shipBy,
        reason: a.reason ?? null,
        note: a.note ?? null,
        committedAt: now,
        committedBy: subjectOf(factory),
        carriedFromVersion: null,
      })),
    );
    const supply = answers.filter(({ line }) => line.kind === 'supply');
    if (supply.length === 0) return;
    const commitments = supply.map(({ line, quantity }) => ({ sourceKey: line.sourceKey, week: line.shipWeek, quantity }));
    for (const source of this.deps.sources) await source.supplyCommitted(tx, factory.factoryId, commitments);
  }

  /**
   * Copies the previous version's commitments to the lines of `batch` they still answer
   * (commitmentCarries), keeping who made them and when; returns the ids of the lines answered.
   * The supply sources already heard these quantities when they were committed.
   */
  private async carryOver(tx: Tx, batch: ForecastBatchRow, lines: readonly ForecastLineRow[], previous: ForecastBatchRow): Promise<Set<string>> {
    const commitments = await tx.find(CommitmentRow, { where: { batchId: previous.id } });
    if (commitments.length === 0 || lines.length === 0) return new Set();
    const priorLines = new Map((await tx.find(ForecastLineRow, { where: { id: In(commitments.map((c) => c.lineId)) } })).map((l) => [lineKey(l), l]));
    const byLine = new Map(commitments.map((c) => [c.lineId, c]));
    const carried = lines.flatMap((line) => {
      const prior = priorLines.get(lineKey(line));
      if (!prior || !commitmentCarries(prior, line)) return [];
      const c = byLine.get(prior.id)!;
      return [{ ...c, lineId: line.id, batchId: batch.id, carriedFromVersion: c.carriedFromVersion ?? previous.version }];
    });
    for (let i = 0; i < carried.length; i += 200) await tx.insert(CommitmentRow, carried.slice(i, i + 200));
    return new Set(carried.map((c) => c.lineId));
  }

  /**
   * A batch the factory may answer: its own, not superseded (never acknowledged, and a newer version came
   * out: nobody works on it, and its answers would not carry to the newest), and acknowledged. Locked.
   */
  private async answerable(tx: Tx, factory: FactoryPrincipal, batchId: string): Promise<ForecastBatchRow> {
    const batch = await this.ownBatch(tx, factory.factoryId, batchId, true);
    await this.refuseSuperseded(tx, batch);
    if (!batch.acknowledgedAt) throw conflict('batch_not_acknowledged', 'Acknowledge the batch before committing to its lines.');
    return batch;
  }

  /** 409 batch_superseded for a version never acknowledged before a newer one came out: the factory answers the newest. */
  private async refuseSuperseded(tx: Tx, batch: ForecastBatchRow): Promise<void> {
    if (batch.acknowledgedAt) return;
    if (await tx.exists(ForecastBatchRow, { where: { factoryId: batch.factoryId, version: MoreThan(batch.version) } }))
      throw conflict(
        'batch_superseded',
        `Version ${batch.version} was never acknowledged and a newer version has replaced it: acknowledge and answer the newest version.`,
      );
  }

  private async latestVersion(tx: Tx, factoryId: string): Promise<number> {
    const latest = await tx.findOne(ForecastBatchRow, { where: { factoryId }, order: { version: 'DESC' }, select: { version: true } });
    return latest?.version ?? 0;
  }

  /**
   * "Commit all unchanged", one action: every line of an acknowledged batch whose firm units are unchanged
   * since the previous version (expected units drift with the clock; what a planner commits against is
   * the firm units) and not yet answered gets the previous version's answer when it carries (made after this
   * version was published, so not carried then), otherwise its firm units by the Sunday of its ship
   * week (today once that has passed). Returns how many lines it answered.
   */
  async commitUnchanged(factory: FactoryPrincipal, batchId: string): Promise<number> {
    const now = this.deps.clock.now();
    const today = businessDay(now);
    return this.deps.db.transaction(async (tx) => {
      const batch = await this.answerable(tx, factory, batchId);
      const answered = new Set((await tx.find(CommitmentRow, { where: { batchId }, select: { lineId: true } })).map((c) => c.lineId));
      const open = (await tx.find(ForecastLineRow, { where: { batchId } })).filter((l) => l.previousFirmUnits === l.firmUnits && !answered.has(l.id));
      const previous = await tx.findOneBy(ForecastBatchRow, { factoryId: factory.factoryId, version: batch.version - 1 });
      const carried = previous ? await this.carryOver(tx, batch, open, previous) : new Set<string>();
      const rest = open.filter((l) => !carried.has(l.id));
      if (rest.length === 0) return carried.size;
      await this.record(
        tx,
        factory,
        batchId,
        rest.map((line) => {
          const sunday = isoWeekDates(line.shipWeek).last;
          return { line, lineId: line.id, quantity: line.firmUnits, shipBy: sunday < today ? today : sunday };
        }),
        now,
      );
      return carried.size + rest.length;
    });
  }

  /**
   * Batches published more than 24 hours ago that their factory has not acknowledged (for operators).
   * A version with a newer one after it is superseded, not overdue: the factory answers the newest.
   */
  async overdueAcknowledgements(): Promise<ForecastBatchRow[]> {
    const cutoff = new Date(this.deps.clock.now().getTime() - ACKNOWLEDGE_WITHIN_MS);
    return this.deps.db.read((tx) =>
      tx
        .createQueryBuilder(ForecastBatchRow, 'b')
        .where('b.acknowledged_at IS NULL AND b.published_at <= :cutoff', { cutoff })
        .andWhere(
          (q) => `NOT EXISTS ${q.subQuery().select('1').from(ForecastBatchRow, 'n').where('n.factory_id = b.factory_id AND n.version > b.version').getQuery()}`,
        )
        .orderBy('b.published_at', 'ASC')
        .take(500)
        .getMany(),
    );
  }

  /**
   * Each version's forecast of the factory's completed campaigns against the units actually paid for. A
   * `removed` line forecast nothing (it says the line left), so neither it nor an answer to it counts.
   */
  async accuracy(factoryId: string) {
    return this.deps.db.read(async (tx) => {
      const completed = (await this.deps.campaigns.ofFactory(tx, factoryId)).filter((c) => c.status === 'completed');
      if (completed.length === 0) return forecastAccuracy([], new Map());
      const ids = completed.map((c) => c.id);
      const lines = await tx
        .createQueryBuilder(ForecastLineRow, 'l')
        .innerJoin(ForecastBatchRow, 'b', 'b.id = l.batch_id')
        .select([
          'b.version AS version',
          'b.published_at AS publishedAt',
          'l.campaign_id AS campaignId',
          'l.campaign_title AS campaignTitle',
          'l.variant AS variant',
          'l.expected_units AS expectedUnits',
        ])
        .where("b.factory_id = :factoryId AND l.kind = 'campaign' AND l.change <> 'removed' AND l.campaign_id IN (:...ids)", { factoryId, ids })
        .getRawMany<{
          version: number | string;
          publishedAt: Date | string;
          campaignId: string;
          campaignTitle: string;
          variant: string;
          expectedUnits: number | string;
        }>();
      const commitments = await tx
        .createQueryBuilder(CommitmentRow, 'c')
        .innerJoin(ForecastLineRow, 'l', 'l.id = c.line_id')
        .innerJoin(ForecastBatchRow, 'b', 'b.id = c.batch_id')
        .select(['b.version AS version', 'l.campaign_id AS campaignId', 'l.variant AS variant', 'c.quantity AS quantity'])
        .where("b.factory_id = :factoryId AND l.kind = 'campaign' AND l.change <> 'removed' AND l.campaign_id IN (:...ids)", { factoryId, ids })
        .getRawMany<{ version: number | string; campaignId: string; variant: string; quantity: number | string }>();
      const tallies = await this.deps.tallies.byVariant(tx, ids);
      const actual = new Map<string, number>();
      for (const [campaignId, variants] of tallies) for (const t of variants) actual.set(actualKey({ campaignId, variant: t.variantKey }), t.paid);
      return forecastAccuracy(
        lines.map((l) => ({ ...l, version: Number(l.version), expectedUnits: Number(l.expectedUnits), publishedAt: storedTimestamp(l.publishedAt) })),
        actual,
        plannedUnits(commitments.map((c) => ({ ...c, version: Number(c.version), quantity: Number(c.quantity) }))),
      );
    });
  }

  // ---- push ----

  /**
   * A factory's push attempts, newest first, each with where its batch's pushing stands. `failing`: only the
   * newest attempt of each failing batch (never delivered, newer than the newest delivered batch), newest first.
   */
  async deliveries(factoryId: string, page: PageQuery, filter: { failing?: boolean } = {}): Promise<{ items: DeliveryView[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      if (!(await this.deps.factories.exists(tx, factoryId))) throw notFound('The factory');
      if (filter.failing) {
        const failing = (await this.failingBatches(tx, [factoryId])).get(factoryId) ?? [];
        const slice = failing.slice(page.offset, page.offset + page.limit);
        const rows = slice.length === 0 ? [] : await tx.find(WebhookDeliveryRow, { where: slice.map((b) => ({ batchId: b.batchId, attempt: b.attempts })) });
        const byBatch = new Map(rows.map((r) => [r.batchId, r]));
        return {
          items: await this.withSchedule(
            tx,
            slice.flatMap((b) => byBatch.get(b.batchId) ?? []),
          ),
          total: failing.length,
        };
      }
      const [rows, total] = await tx.findAndCount(WebhookDeliveryRow, {
        where: { factoryId },
        order: { attemptedAt: 'DESC', attempt: 'DESC' },
        skip: page.offset,
        take: page.limit,
      });
      return { items: await this.withSchedule(tx, rows), total };
    });
  }

  /** How each factory's pushes are going (WebhookHealthSource, for the console's list of factories). */
  async webhookHealth(factoryIds: readonly string[]): Promise<Map<string, WebhookHealth>> {
    if (factoryIds.length === 0) return new Map();
    return this.deps.db.read(async (tx) => {
      const health = new Map<string, WebhookHealth>();
      const failing = await this.failingBatches(tx, factoryIds);
      const schedule = await this.deps.jobs.scheduleOf(
        tx,
        PUSH_JOB,
        [...failing.values()].flat().map((b) => b.batchId),
      );
      for (const factoryId of factoryIds) {
        const last = await tx.findOne(WebhookDeliveryRow, { where: { factoryId }, order: { attemptedAt: 'DESC', attempt: 'DESC' } });
        const retries = (failing.get(factoryId) ?? []).flatMap((b) => schedule.get(b.batchId)?.nextRunAt ?? []);
        health.set(factoryId, {
          lastAttempt: last && { at: last.attemptedAt, delivered: last.delivered, statusCode: last.statusCode, errorKind: last.errorKind },
          failingBatches: failing.get(factoryId)?.length ?? 0,
          retryingBatches: retries.length,
          nextAttemptAt: retries.length === 0 ? null : new Date(Math.min(...retries.map((d) => d.getTime()))),
        });
      }
      return health;
    });
  }

  /**
   * Redeliver: the attempt's batch pushed again now, by the caller's hand, and the new attempt (delivered or
   * not: a failure is an answer). Whatever the automatic retries had planned stays planned (a retry after a
   * success does nothing). Another factory's attempt is "not found".
   */
  async redeliver(factoryId: string, deliveryId: string): Promise<DeliveryView> {
    const delivery = await this.deps.db.read((tx) => tx.findOneBy(WebhookDeliveryRow, { id: deliveryId, factoryId }));
    if (!delivery) throw notFound('The delivery');
    return this.pushNow(factoryId, delivery.batchId);
  }

  /** Push one of the factory's batches now (after a new URL is saved, say), delivered before or not; the attempt is logged. */
  async pushNow(factoryId: string, batchId: string): Promise<DeliveryView> {
    const { batch, target, lines } = await this.deps.db.read(async (tx) => {
      const batch = await this.ownBatch(tx, factoryId, batchId);
      const target = await this.deps.webhooks.target(tx, factoryId);
      if (!target) throw webhookNotSet();
      return { batch, target, lines: await tx.find(ForecastLineRow, { where: { batchId }, order: { lineNo: 'ASC' } }) };
    });
    const row = await this.attempt(batch, lines, target, true);
    return this.deps.db.read(async (tx) => (await this.withSchedule(tx, [row]))[0]);
  }

  /**
   * One attempt to push a batch, logged whatever happens. A failure throws, and the job comes back
   * with exponential back-off (for more than a day). The receiver de-duplicates by the event id
   * (batch id and version): if a crash loses our record of a success, the batch is sent again, never
   * different.
   */
  async push(batchId: string): Promise<void> {
    const found = await this.deps.db.read(async (tx) => {
      const batch = await tx.findOneBy(ForecastBatchRow, { id: batchId });
      if (!batch || (await tx.existsBy(WebhookDeliveryRow, { batchId, delivered: true }))) return undefined;
      const target = await this.deps.webhooks.target(tx, batch.factoryId);
      if (!target) return undefined;
      const lines = await tx.find(ForecastLineRow, { where: { batchId }, order: { lineNo: 'ASC' } });
      return { batch, target, lines };
    });
    if (!found) return;
    const { batch, target, lines } = found;
    const row = await this.attempt(batch, lines, target, false);
    if (!row.delivered) throw new Error(`push of batch ${batchId} v${batch.version}, attempt ${row.attempt}: ${row.refusal?.message ?? row.error}`);
  }

  private async attempt(batch: ForecastBatchRow, lines: ForecastLineRow[], target: WebhookTarget, manual: boolean) {
    const eventId = `${batch.id}:v${batch.version}`;
    const body = Buffer.from(JSON.stringify({ type: 'forecast_batch.published', eventId, batch: batchPayload(batch, lines) }));
    const { refusal, ...outcome } = await this.deps.webhooks.deliver(target, eventId, body);
    const row = Object.assign(new WebhookDeliveryRow(), {
      id: newId(),
      factoryId: batch.factoryId,
      batchId: batch.id,
      version: batch.version,
      attempt: 0,
      url: outcome.url,
      attemptedAt: outcome.attemptedAt,
      statusCode: outcome.statusCode,
      error: outcome.error,
      errorKind: outcome.errorKind,
      durationMs: outcome.durationMs,
      delivered: outcome.delivered,
      manual,
    });
    await this.deps.db.transaction(async (tx) => {
      // Numbered under the batch's row lock: two pushes of one batch at once (a manual push beside a retry, or a
      // double click) would otherwise both read the same last attempt and log the same number twice (1, 1, 3, 3 on
      // MariaDB); the unique key (batch_id, attempt) refuses that anyway. The newest attempt is read with a locking
      // read too (the latest committed row, not the transaction's snapshot), and the next number follows it (the
      // highest, as the failing list and withSchedule read it), not a count.
      await tx.findOne(ForecastBatchRow, { where: { id: batch.id }, lock: this.deps.db.rowLock() });
      const last = await tx.findOne(WebhookDeliveryRow, { where: { batchId: batch.id }, order: { attempt: 'DESC' }, lock: this.deps.db.rowLock() });
      row.attempt = (last?.attempt ?? 0) + 1;
      await tx.insert(WebhookDeliveryRow, row);
    });
    return Object.assign(row, { refusal });
  }

  /**
   * Per factory, its failing batches, newest attempt first: never delivered, at least one attempt, and newer
   * than the newest batch delivered (each batch is the whole forecast, so a newer one delivered replaces it).
   * `attempts` is the number of the batch's newest attempt (MAX, the row the list shows), read as withSchedule
   * reads it, so that the row looked up by it exists and is the one that shows the next retry.
   */
  private async failingBatches(tx: Tx, factoryIds: readonly string[]): Promise<Map<string, { batchId: string; attempts: number }[]>> {
    const rows = await tx
      .createQueryBuilder(WebhookDeliveryRow, 'd')
      .select('d.factory_id', 'factoryId')
      .addSelect('d.batch_id', 'batchId')
      .addSelect('d.version', 'version')
      .addSelect('MAX(d.attempt)', 'attempts')
      .addSelect('MAX(d.attempted_at)', 'lastAt')
      .addSelect('SUM(CASE WHEN d.delivered THEN 1 ELSE 0 END)', 'delivered')
      .where({ factoryId: In([...factoryIds]) })
      .groupBy('d.factory_id')
      .addGroupBy('d.batch_id')
      .addGroupBy('d.version')
      .getRawMany<{
        factoryId: string;
        batchId: string;
        version: number | string;
        attempts: number | string;
        lastAt: Date | string;
        delivered: number | string;
      }>();
    const newestDelivered = new Map<string, number>();
    for (const r of rows) {
      if (Number(r.delivered) > 0) newestDelivered.set(r.factoryId, Math.max(newestDelivered.get(r.factoryId) ?? 0, Number(r.version)));
    }
    const failing = new Map<string, { batchId: string; attempts: number; lastAt: number }[]>();
    for (const r of rows) {
      if (Number(r.delivered) > 0 || Number(r.version) <= (newestDelivered.get(r.factoryId) ?? 0)) continue;
      const list = failing.get(r.factoryId) ?? [];
      list.push({ batchId: r.batchId, attempts: Number(r.attempts), lastAt: storedTimestamp(r.lastAt).getTime() });
      failing.set(r.factoryId, list);
    }
    return new Map(
      [...failing].map(([factoryId, list]) => [
        factoryId,
        list.sort((a, b) => b.lastAt - a.lastAt || a.batchId.localeCompare(b.batchId)).map(({ batchId, attempts }) => ({ batchId, attempts })),
      ]),
    );
  }

  /**
   * Each attempt with what comes after it: on the newest attempt of a batch that has not been delivered, the
   * time of the next automatic retry (`nextAttemptAt`) while its push job will retry, or (`gaveUpAt`) that
   * attempt's time when none will come: the retries ran out, or the batch is no longer pushed.
   */
  private async withSchedule(tx: Tx, rows: WebhookDeliveryRow[]): Promise<DeliveryView[]> {
    const batchIds = [...new Set(rows.map((r) => r.batchId))];
    if (batchIds.length === 0) return [];
    const stats = await tx
      .createQueryBuilder(WebhookDeliveryRow, 'd')
      .select('d.batch_id', 'batchId')
      .addSelect('MAX(d.attempt)', 'attempts')
      .addSelect('SUM(CASE WHEN d.delivered THEN 1 ELSE 0 END)', 'delivered')
      .where({ batchId: In(batchIds) })
      .groupBy('d.batch_id')
      .getRawMany<{ batchId: string; attempts: number | string; delivered: number | string }>();
    const byBatch = new Map(stats.map((s) => [s.batchId, { attempts: Number(s.attempts), delivered: Number(s.delivered) > 0 }]));
    const schedule = await this.deps.jobs.scheduleOf(tx, PUSH_JOB, batchIds);
    return rows.map((row) => {
      const batch = byBatch.get(row.batchId);
      const open = !row.delivered && batch !== undefined && !batch.delivered && batch.attempts === row.attempt;
      const next = open ? (schedule.get(row.batchId)?.nextRunAt ?? null) : null;
      return Object.assign(row, { nextAttemptAt: next, gaveUpAt: open && next === null ? row.attemptedAt : null });
    });
  }

  private async ownBatch(tx: Tx, factoryId: string, batchId: string, lock = false): Promise<ForecastBatchRow> {
    const batch = await tx.findOne(ForecastBatchRow, { where: { id: batchId }, lock: lock ? this.deps.db.rowLock() : undefined });
    if (!batch || batch.factoryId !== factoryId) throw notFound('The forecast batch');
    return batch;
  }

  /** Firm and expected units per batch and unit of measure, for the batches named (what unitTotals gives from their lines). */
  async unitTotals(batchIds: string[]): Promise<Map<string, UnitTotal[]>> {
    return this.deps.db.read((tx) => this.totalsByBatch(tx, batchIds));
  }

  private async totalsByBatch(tx: Tx, batchIds: string[]): Promise<Map<string, UnitTotal[]>> {
    if (batchIds.length === 0) return new Map();
    // lineUnit in SQL: a supply line's variant is its unit; campaign lines count pieces.
    const unit = "CASE WHEN l.kind = 'supply' AND l.variant = 'kg' THEN 'kg' ELSE 'piece' END";
    const rows = await tx
      .createQueryBuilder(ForecastLineRow, 'l')
      .select('l.batch_id', 'batchId')
      .addSelect(unit, 'measure')
      .addSelect('SUM(l.firm_units)', 'firmUnits')
      .addSelect('SUM(l.expected_units)', 'expectedUnits')
      .where({ batchId: In(batchIds) })
      .groupBy('l.batch_id')
      .addGroupBy(unit)
      .getRawMany<{ batchId: string; measure: MeasureUnit; firmUnits: number | string; expectedUnits: number | string }>();
    const parts = new Map<string, UnitTotal[]>();
    for (const r of rows)
      parts.set(r.batchId, [...(parts.get(r.batchId) ?? []), { unit: r.measure, firmUnits: Number(r.firmUnits), expectedUnits: Number(r.expectedUnits) }]);
    return new Map([...parts].map(([id, totals]) => [id, sortedTotals(totals)]));
  }

  private async committedLineCounts(tx: Tx, batchIds: string[]): Promise<Map<string, number>> {
    if (batchIds.length === 0) return new Map();
    const rows = await tx
      .createQueryBuilder(CommitmentRow, 'c')
      .select('c.batch_id', 'batchId')
      .addSelect('COUNT(*)', 'lines')
      .where({ batchId: In(batchIds) })
      .groupBy('c.batch_id')
      .getRawMany<{ batchId: string; lines: number | string }>();
    return new Map(rows.map((r) => [r.batchId, Number(r.lines)]));
  }
}

/** What a batch looks like on the wire: the webhook body and the API's JSON are the same. */
export function batchPayload(batch: ForecastBatchRow, lines: ForecastLineRow[], commitments: Map<string, CommitmentRow> = new Map()) {
  return {
    id: batch.id,
    factoryId: batch.factoryId,
    version: batch.version,
    trigger: batch.trigger,
    publishedAt: batch.publishedAt.toISOString(),
    lineCount: batch.lineCount,
    firmUnits: batch.firmUnits,
    expectedUnits: batch.expectedUnits,
    totals: unitTotals(lines),
    lines: lines.map((l) => {
      const c = commitments.get(l.id);
      return {
        id: l.id,
        lineNo: l.lineNo,
        kind: l.kind,
        sourceKey: l.sourceKey,
        campaignId: l.campaignId,
        campaignTitle: l.campaignTitle,
        productName: l.productName,
        variant: l.variant,
        shipWeek: l.shipWeek,
        firmUnits: l.firmUnits,
        expectedUnits: l.expectedUnits,
        lowUnits: l.lowUnits,
        highUnits: l.highUnits,
        change: l.change,
        previousFirmUnits: l.previousFirmUnits,
        previousExpectedUnits: l.previousExpectedUnits,
        firmUnitsChange: l.firmUnits - (l.previousFirmUnits ?? 0),
        expectedUnitsChange: l.expectedUnits - (l.previousExpectedUnits ?? 0),
        ...(c
          ? {
              commitment: {
                quantity: c.quantity,
                shipBy: c.shipBy,
                reason: c.reason,
                note: c.note,
                committedAt: c.committedAt.toISOString(),
                carriedFromVersion: c.carriedFromVersion,
              },
            }
          : {}),
      };
    }),
  };
}
