import {
  type CampaignRow,
  type CampaignService,
  type CampaignTerms,
  checkChoice,
  depositFor,
  isPublished,
  pledgeWindow,
  variantKey,
  windowRefusal,
} from '../campaigns';
import type { PaymentRow, PaymentService } from '../payments';
import type { Clock } from '../platform/clock';
import { type Database, type Tx, isUniqueViolation } from '../platform/database';
import { GroupCommit } from '../platform/group-commit';
import { AppError, conflict, notFound } from '../platform/http/app-error';
import { idempotencyKeyReused } from '../platform/http/idempotency';
import type { Principal } from '../platform/http/principal';
import { newId } from '../platform/ids';
import type { Jobs } from '../platform/jobs';
import { ConsumerUnitsRow, PledgeRow } from './pledge.entity';
import { paymentsOf } from './pledge-reads';
import type { PledgeTallies } from './tallies';

export const EXPIRE_JOB = 'pledges.expire-unpaid';

/**
 * The most pledges of one campaign written in one transaction. The campaign's transactions run one at a time, so
 * a batch must hold what arrives while the last one runs: at 100, a spike from 256 connections filled every batch
 * and the service sat idle half the time waiting for its turn at the campaign (npm run bench -- pledges).
 */
const PLEDGE_BATCH_MAX = 500;

interface PledgeIntent {
  pledgeId: string;
  campaign: CampaignTerms;
  userId: string;
  variantKey: string;
  quantity: number;
  at: Date;
}

/** Which shop owner's shop each consumer is bound to at a moment, with when the binding ends (the shops module's bindings): one read for a batch. */
export interface AttributionSource {
  shopsOf(userIds: readonly string[], at: Date): Promise<Map<string, { shopId: string; expiresAt: Date }>>;
}

/** The shop a pledge of this consumer at this moment is credited to, or null. */
type ShopAt = (userId: string, at: Date) => string | null;

type Placed = { pledge: PledgeRow; payment: PaymentRow };

/**
 * Placing pledges, the hot path of a launch: the pledges arriving together for one campaign are written in
 * one transaction with one statement per table (group commit), and their units taken with one conditional
 * update of the campaign row. Its expiry job (pledge.jobs.ts) is handled by PledgeMoves.expire.
 */
export class PledgePlacement {
  constructor(
    private readonly deps: {
      db: Database;
      jobs: Jobs;
      clock: Clock;
      campaigns: CampaignService;
      payments: PaymentService;
      tallies: PledgeTallies;
      attribution: AttributionSource;
      depositTtlMinutes: number;
      /** Told of each pledge placed (not of a retry answered with the pledge an earlier attempt placed): the business metrics. */
      onPlaced?: (pledge: PledgeRow) => void;
      /** Told of each transaction that placed pledges (a batch, or one pledge alone): the group commit's metric. */
      onBatch?: () => void;
    },
  ) {}

  /**
   * Places a pledge: the pledge, its deposit payment, its expiry job and the units reserved against the
   * cap, in one transaction, shared with the other pledges arriving for the same campaign at the same
   * moment (group commit, see group-commit.ts). The cap is taken by one conditional update, in the last flight, so
   * the hot campaign row is locked only for the commit. `pledgeId` is the request's idempotency id when
   * it has one: a retry of a request whose pledge was already written gets that pledge back.
   */
  async create(
    consumer: Principal & { role: 'consumer' },
    campaignId: string,
    input: { variant: Record<string, string>; quantity: number },
    pledgeId: string = newId(),
  ): Promise<Placed & { payments: PaymentRow[] }> {
    // What never changes about a campaign comes from a cache; whether it is open, and whether units are
    // left, is decided by the conditional update, so a stale cache cannot let a pledge through.
    const at = this.deps.clock.now();
    const campaign = await this.deps.campaigns.terms(campaignId);
    if (!campaign) throw notFound('The campaign');
    const key = checkChoice(campaign, input);
    if (campaign.perConsumerLimit !== null) await this.ensureConsumerRow(campaignId, consumer.userId);
    let placed: Placed | AppError;
    try {
      placed = await this.groupCommit.submit(campaignId, {
        pledgeId,
        campaign,
        userId: consumer.userId,
        variantKey: key,
        quantity: input.quantity,
        at,
      });
    } catch (error) {
      // The pledge exists already: an earlier attempt of this request wrote it and died before answering.
      if (!isUniqueViolation(error)) throw error;
      const earlier = await this.placedBefore(consumer, campaignId, input, pledgeId);
      if (!earlier) throw idempotencyKeyReused();
      return earlier;
    }
    if (placed instanceof AppError) throw placed;
    this.deps.payments.created(placed.payment);
    this.deps.onPlaced?.(placed.pledge);
    return { ...placed, payments: [placed.payment] };
  }

  /**
   * The pledge an earlier attempt of this request placed under `pledgeId` (its answer lost), with all its
   * payments; undefined if there is none. The same key used for a different pledge is a 422. A refused
   * retry is answered with this instead (the route's `recognise`), so that no check that has turned since
   * the first attempt (the per-consumer limit, the cap, the window, a rate limit) refuses a pledge made.
   */
  async placedBefore(
    consumer: Principal & { role: 'consumer' },
    campaignId: string,
    input: { variant: Record<string, string>; quantity: number },
    pledgeId: string,
  ): Promise<(Placed & { payments: PaymentRow[] }) | undefined> {
    const found = await this.deps.db.read(async (tx) => {
      const pledge = await tx.findOneBy(PledgeRow, { id: pledgeId });
      if (!pledge) return undefined;
      const payments = (await paymentsOf(tx, [pledgeId])).get(pledgeId)!;
      return { pledge, payment: payments.find((p) => p.id === pledge.depositPaymentId)!, payments };
    });
    if (!found) return undefined;
    const campaign = await this.deps.campaigns.terms(campaignId);
    const variant = campaign ? variantKey(campaign.options, input.variant) : undefined;
    const { pledge } = found;
    const same =
      pledge.userId === consumer.userId &&
      pledge.campaignId === campaignId &&
      variant &&
      'key' in variant &&
      pledge.variantKey === variant.key &&
      pledge.quantity === input.quantity;
    if (!same) throw idempotencyKeyReused();
    return found;
  }

  private readonly groupCommit = new GroupCommit<PledgeIntent, Placed | AppError>(
    (campaignId, intents) => this.placeBatch(campaignId, intents),
    (campaignId, intent) => this.placeAlone(campaignId, intent),
    PLEDGE_BATCH_MAX,
  );

  /** Many pledges in one transaction; throws (and each is then placed alone) if they do not all fit. */
  private async placeBatch(campaignId: string, intents: PledgeIntent[]): Promise<(Placed | AppError)[]> {
    // Read on its own connection while the transaction starts: no round trip added to the campaign's turn.
    const shopAt = this.attribution(intents);
    const results = await this.deps.db.transaction(async (tx) => {
      // Sent back to back: one round trip for the batch, not one per pledge. They run in order on the connection,
      // so two pledges of one consumer in the batch count each other.
      const refused = await Promise.all(intents.map((intent) => this.takeConsumerUnits(tx, intent)));
      const { placed, reserved } = await this.insertAndReserve(
        tx,
        campaignId,
        intents.filter((_, i) => !refused[i]),
        await shopAt,
        this.deps.clock.now(),
      );
      if (!reserved) throw new Error('the batch does not fit');
      let next = 0;
      return intents.map((_, i) => refused[i] ?? placed[next++]);
    });
    if (results.some((r) => !(r instanceof AppError))) this.deps.onBatch?.();
    return results;
  }

  private async placeAlone(campaignId: string, intent: PledgeIntent): Promise<Placed | AppError> {
    try {
      const shopAt = this.attribution([intent]);
      const placedAlone = await this.deps.db.transaction(async (tx) => {
        const refused = await this.takeConsumerUnits(tx, intent);
        if (refused) return refused;
        // One moment for the conditional update and for the reason it gives: read again after it, a pledge refused a
        // millisecond before the opening found the campaign open, and was told that it was sold out.
        const now = this.deps.clock.now();
        const { placed, reserved } = await this.insertAndReserve(tx, campaignId, [intent], await shopAt, now);
        if (!reserved) {
          const latest = await this.deps.campaigns.find(tx, campaignId);
          if (!latest || !isPublished(latest)) throw notFound('The campaign');
          assertOpen(latest, now);
          const left = Math.max(0, (latest.maxUnits ?? 0) - latest.reservedUnits);
          throw conflict('campaign_sold_out', left === 0 ? 'The campaign is sold out: every unit is taken.' : `Only ${left} units are left; pledge fewer.`);
        }
        return placed[0];
      });
      if (!(placedAlone instanceof AppError)) this.deps.onBatch?.();
      return placedAlone;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
  }

  /**
   * Writes the pledges and takes their units with the campaign's conditional update, sent in the same
   * flight as the inserts: the hot row stays locked for about one round trip and the commit.
   */
  private async insertAndReserve(
    tx: Tx,
    campaignId: string,
    intents: readonly PledgeIntent[],
    shopAt: ShopAt,
    now: Date,
  ): Promise<{ placed: Placed[]; reserved: boolean }> {
    const units = intents.reduce((total, intent) => total + intent.quantity, 0);
    const [placed, reserved] = await Promise.all([
      this.insertPledges(tx, intents, shopAt),
      units === 0 || this.deps.campaigns.reserveUnits(tx, campaignId, units, now),
    ]);
    return { placed, reserved };
  }

  /**
   * The shops the pledges are credited to: their consumers' bindings, read before the batch's transaction in one
   * statement (bindings live with their consumers, which a sharded database puts elsewhere than the campaign's
   * rows: docs/scaling-out.md), as of the batch's earliest moment; then each pledge by its own moment.
   */
  private attribution(intents: readonly PledgeIntent[]): Promise<ShopAt> {
    const shopAt = this.deps.attribution
      .shopsOf(
        intents.map((i) => i.userId),
        new Date(Math.min(...intents.map((i) => i.at.getTime()))),
      )
      .then((bindings): ShopAt => (userId, at) => {
        const binding = bindings.get(userId);
        return binding && binding.expiresAt > at ? binding.shopId : null;
      });
    // Awaited inside the transaction; should the transaction fail before it gets there, the failure is not unhandled.
    shopAt.catch(() => undefined);
    return shopAt;
  }

  /** The pledges (each credited to the shop its consumer is bound to then), their deposit payments, their expiry jobs and their tallies: one multi-row statement each. */
  private async insertPledges(tx: Tx, intents: readonly PledgeIntent[], shopAt: ShopAt): Promise<Placed[]> {
    if (intents.length === 0) return [];
    const pledges = intents.map(({ pledgeId, campaign, userId, variantKey, quantity, at }) =>
      Object.assign(new PledgeRow(), {
        id: pledgeId,
        campaignId: campaign.id,
        userId,
        variantKey,
        quantity,
        status: 'awaiting_deposit',
        depositPerUnit: campaign.depositPerUnit,
        deposit: depositFor(campaign, quantity),
        unitPrice: null,
        creditedPerUnit: null,
        balance: null,
        balancePaymentId: null,
        expiresAt: new Date(at.getTime() + this.deps.depositTtlMinutes * 60_000),
        balanceDueAt: null,
        remindedAt: null,
        shopId: shopAt(userId, at),
        createdAt: at,
        updatedAt: at,
      }),
    );
    const payments = this.deps.payments.newPayments(
      pledges.map((p) => ({ kind: 'deposit', pledgeId: p.id, campaignId: p.campaignId, userId: p.userId, amount: p.deposit })),
    );
    pledges.forEach((p, i) => (p.depositPaymentId = payments[i].id));
    // Sent back to back on the transaction's connection: the batch waits for one round trip, not one per statement.
    await Promise.all([
      this.deps.payments.insert(tx, payments),
      this.deps.db.insertEntities(tx, PledgeRow, pledges),
      this.deps.jobs.enqueueMany(
        tx,
        EXPIRE_JOB,
        pledges.map((p) => ({ payload: { pledgeId: p.id }, runAt: p.expiresAt, key: p.id })),
      ),
      this.deps.tallies.placed(tx, pledges),
    ]);
    return pledges.map((pledge, i) => ({ pledge, payment: payments[i] }));
  }

  /**
   * The per-consumer limit, held under concurrency by one conditional update on the consumer's row.
   * The row is created beforehand, in a transaction of its own (ensureConsumerRow): inserting it inside
   * the pledge's transaction would take gap and shared locks that two requests of the same consumer
   * deadlock on (MySQL).
   */
  private async takeConsumerUnits(tx: Tx, { campaign, userId, quantity }: PledgeIntent): Promise<AppError | undefined> {
    if (campaign.perConsumerLimit === null) return undefined;
    const taken = await this.deps.db.sql(tx, 'UPDATE campaign_consumer_units SET units = units + ? WHERE campaign_id = ? AND user_id = ? AND units + ? <= ?', [
      quantity,
      campaign.id,
      userId,
      quantity,
      campaign.perConsumerLimit,
    ]);
    return taken.affected === 1
      ? undefined
      : conflict(
          'per_consumer_limit',
          `Each consumer may pledge at most ${campaign.perConsumerLimit} units in this campaign, counting the pledges you already have.`,
        );
  }

  private async ensureConsumerRow(campaignId: string, userId: string): Promise<void> {
    // Rows are never deleted, so one known to exist need not be inserted again.
    const key = `${campaignId}:${userId}`;
    if (this.knownConsumerRows.has(key)) return;
    await this.deps.db.statement((tx) =>
      tx.createQueryBuilder().insert().into(ConsumerUnitsRow).values({ campaignId, userId, units: 0 }).orIgnore().updateEntity(false).execute(),
    );
    if (this.knownConsumerRows.size >= 100_000) this.knownConsumerRows.clear();
    this.knownConsumerRows.add(key);
  }

  private readonly knownConsumerRows = new Set<string>();
}

function assertOpen(campaign: CampaignRow, now: Date): void {
  const window = pledgeWindow(campaign, now);
  if (!window.open) throw new AppError(409, 'campaign_not_open', windowRefusal(campaign, window));
}
