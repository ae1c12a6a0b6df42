import { Router, type Express } from 'express';
import { z } from 'zod';
import {
  AccountService,
  PasswordHasher,
  PhoneCodeRow,
  PhoneCodes,
  SandboxSmsSender,
  SessionCache,
  SessionRow,
  UserRow,
  accountJobs,
  accountRoutes,
  phoneRoutes,
} from './accounts';
import { CommissionEarningRow, CommissionRateRow, Commissions, ShopSalesRow, commissionRoutes } from './commissions';
import { CampaignDecisions, CampaignReads, CampaignRow, CampaignService, campaignJobs, campaignRoutes } from './campaigns';
import { ConceptRow, Concepts, RatingRow, TrialApplicationRow, conceptRoutes } from './concepts';
import { FactoryApiKeyRow, FactoryRow, FactoryService, FactoryWebhookRow, FactoryWebhooks, factoryRoutes, webhookRoutes } from './factories';
import { CommitmentRow, ForecastBatchRow, ForecastLineRow, ForecastService, WebhookDeliveryRow, forecastJobs, forecastRoutes } from './forecasts';
import { JournalEntryRow, JournalLineRow, LedgerService, reconcile, type ReconcileReport } from './ledger';
import { MarkerRow, MarkRow, MarkSubjectRow, Marks, markRoutes } from './marks';
import { AuditEntryRow, AuditLog, auditRoutes } from './audit';
import { LedgerBoard, MoneyRecords, MoneySearch, moneyDeskRoutes } from './money-desk';
import { BusinessFigures, figureRoutes } from './figures';
import { NotificationRow, NotificationService, notificationRoutes } from './notifications';
import {
  BankFilePayouts,
  CommissionHoldRow,
  FactoryNotifier,
  PayeeRow,
  PayoutBatchRow,
  PayoutRow,
  Payouts,
  SandboxPayoutGateway,
  ShopPayeeRow,
  ShopStatementLineRow,
  ShopStatementRow,
  StatementEntryRow,
  StatementRow,
  ShopStatements,
  Statements,
  payoutJobs,
  payoutRoutes,
  shopPayoutRoutes,
  type PayoutGateway,
  type ShopDirectory,
  type ShopEarnings,
} from './payouts';
import {
  AlipayGateway,
  GatewayEventRow,
  PaymentCheckoutRow,
  PaymentReconciliation,
  PaymentRow,
  PaymentService,
  RefundFigures,
  RefundRow,
  SandboxGateway,
  StatementCheckRow,
  StatementDifferenceRow,
  UNATTENDED_KINDS,
  WechatPayGateway,
  alipayConfig,
  paymentDtos,
  paymentJobs,
  paymentRoutes,
  type AlipayConfig,
  type PaymentGateway,
  type WechatPayConfig,
  wechatPayConfig,
} from './payments';
import {
  ConsumerUnitsRow,
  MoneyFlows,
  AfterSaleRefunds,
  PledgeCancellation,
  PledgeDayRow,
  PledgeMoves,
  PledgePayments,
  PledgePlacement,
  PledgeFigures,
  PledgeReads,
  PledgeRow,
  PledgeTallies,
  PledgeTallyRow,
  PledgerCountRow,
  PledgerRow,
  Settlement,
  pledgeJobs,
  pledgeRoutes,
} from './pledges';
import { BUSINESS_TIME_ZONE } from './platform/calendar';
import {
  ShopBindingRow,
  ShopBindings,
  ShopConsentEventRow,
  ShopConsentRow,
  ShopConsents,
  ShopDashboard,
  ShopOrders,
  ShopOwners,
  ShopRow,
  ShopVisitRow,
  ShopVisits,
  shopPrivacyRoutes,
  shopLookupLimits,
  shopRoutes,
} from './shops';
import type { Clock } from './platform/clock';
import { ConfigError, parseConfig, type Config } from './platform/config';
import type { Database } from './platform/database';
import { Decimal, ZERO } from './platform/money';
import {
  IDEMPOTENCY_DEFAULTS,
  IdempotencyKeyRow,
  IdempotencyStore,
  Metrics,
  TokenService,
  authenticate,
  createHttpApp,
  webPages,
  mountRoutes,
  opsRouter,
  tagged,
  type RouteDef,
} from './platform/http';
import { portalRouter } from './platform/http/portal';
import { RateLimits } from './platform/http/rate-limit';
import { ONE_PROCESS, SharedRedis } from './platform/redis';
import { storefrontRouter } from './platform/http/storefront';
import { JobConsole, JobRow, Jobs, defineJob, jobRoutes } from './platform/jobs';
import type { Logger } from './platform/logger';
import { SecretBox } from './platform/secret-box';
import { Posters, WechatJsSdk, publicOrigin, shareCodeRouter, storefrontPages, storefrontRoutes } from './storefront';
import {
  BoxCharges,
  BoxContentsRow,
  BoxPlanning,
  BoxRow,
  FruitRow,
  Fulfilment,
  OrchardDemand,
  PlanRow,
  ShortfallSharing,
  SkipRow,
  SubscriptionCatalogue,
  SubscriptionLifecycle,
  SubscriptionRow,
  SubscriptionSchedule,
  SupplyCommitmentRow,
  ShortfallShareRow,
  subscriptionJobs,
  subscriptionRoutes,
  fruitRoutes,
  FruitReports,
} from './subscriptions';

/** Every table the code maps. The schema itself is made by the migrations in migrations/. */
export const entities = [
  UserRow,
  SessionRow,
  PhoneCodeRow,
  FactoryRow,
  FactoryApiKeyRow,
  IdempotencyKeyRow,
  JobRow,
  CampaignRow,
  PledgeRow,
  ConsumerUnitsRow,
  PaymentRow,
  PaymentCheckoutRow,
  RefundRow,
  StatementCheckRow,
  StatementDifferenceRow,
  GatewayEventRow,
  JournalEntryRow,
  JournalLineRow,
  NotificationRow,
  PledgeTallyRow,
  PledgeDayRow,
  PledgerRow,
  PledgerCountRow,
  FactoryWebhookRow,
  ForecastBatchRow,
  ForecastLineRow,
  CommitmentRow,
  WebhookDeliveryRow,
  FruitRow,
  PlanRow,
  SubscriptionRow,
  SkipRow,
  BoxRow,
  BoxContentsRow,
  SupplyCommitmentRow,
  ShortfallShareRow,
  StatementRow,
  StatementEntryRow,
  PayoutBatchRow,
  PayoutRow,
  PayeeRow,
  ShopRow,
  ShopBindingRow,
  ShopVisitRow,
  ShopConsentRow,
  ShopConsentEventRow,
  CommissionRateRow,
  CommissionEarningRow,
  ShopSalesRow,
  ShopPayeeRow,
  ShopStatementRow,
  ShopStatementLineRow,
  CommissionHoldRow,
  ConceptRow,
  TrialApplicationRow,
  RatingRow,
  MarkSubjectRow,
  MarkRow,
  MarkerRow,
  AuditEntryRow,
];

/** The payment providers beside the sandbox, each configured by its own variables; undefined = not configured (off). */
export interface ProviderConfigs {
  alipay: AlipayConfig | undefined;
  wechatPay: WechatPayConfig | undefined;
}

/**
 * Everything the service reads from its environment: the platform's settings and each payment
 * provider's (parsed by its adapter, which the platform does not know). Every problem of all of them
 * is in the one ConfigError, so an operator fixes the environment in one go.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; providers: ProviderConfigs } {
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const alipay = alipayConfig(env);
  if ('problems' in alipay) problems.push(...alipay.problems);
  const wechatPay = wechatPayConfig(env);
  if ('problems' in wechatPay) problems.push(...wechatPay.problems);
  if (problems.length > 0 || !config || 'problems' in alipay || 'problems' in wechatPay) throw new ConfigError(problems);
  return { config, providers: { alipay: alipay.config, wechatPay: wechatPay.config } };
}

export interface AppDeps {
  config: Config;
  /** Real payment providers to offer beside the sandbox (none: the sandbox alone). */
  providers?: ProviderConfigs;
  db: Database;
  logger: Logger;
  clock: Clock;
  secrets: { auth: string; sandbox: string };
  /** Payment providers beside the sandbox (tests play a second provider with a second sandbox). */
  gateways?: PaymentGateway[];
  /** Whether this process runs the job worker (for /readyz). */
  runsWorker: boolean;
  metrics?: Metrics;
}

export interface App {
  http: Express;
  jobs: Jobs;
  routes: RouteDef[];
  metrics: Metrics;
  services: {
    accounts: AccountService;
    phoneCodes: PhoneCodes;
    sms: SandboxSmsSender;
    factories: FactoryService;
    idempotency: IdempotencyStore;
    ledger: LedgerService;
    payments: PaymentService;
    reconciliation: PaymentReconciliation;
    sandbox: SandboxGateway;
    campaigns: CampaignService;
    campaignReads: CampaignReads;
    wechat: WechatJsSdk | undefined;
    decisions: CampaignDecisions;
    /** The pledges module's use cases: placing (the hot path), a pledge's payments, cancelling, after-sale refunds, the shared moves, reads. */
    pledges: {
      placement: PledgePlacement;
      payments: PledgePayments;
      cancellation: PledgeCancellation;
      afterSale: AfterSaleRefunds;
      moves: PledgeMoves;
      reads: PledgeReads;
    };
    settlement: Settlement;
    notifications: NotificationService;
    forecasts: ForecastService;
    /** The subscriptions module's use cases: the catalogue, a subscription's life, its schedule, box planning (the job), fulfilment, shortfall sharing. */
    subscriptions: {
      catalogue: SubscriptionCatalogue;
      lifecycle: SubscriptionLifecycle;
      schedule: SubscriptionSchedule;
      planning: BoxPlanning;
      fulfilment: Fulfilment;
      shortfall: ShortfallSharing;
    };
    boxCharges: BoxCharges;
    /** Factory settlements: statements per final campaign, payouts, and the sandbox payout provider (tests make it decline). */
    payouts: {
      statements: Statements;
      payouts: Payouts;
      shopStatements: ShopStatements;
      /** ShopEarnings.totalsOf(shopId): a shop owner's commission pending / settled / paid. */
      shopEarnings: ShopEarnings;
      sandbox: SandboxPayoutGateway | undefined;
    };
    /**
     * Shop owners (小B): applications and shops, the bindings pledges and subscriptions are attributed by, visits and
     * the dashboard, consumers' consents to show their phone, and the shop owner's orders.
     */
    shops: { owners: ShopOwners; bindings: ShopBindings; visits: ShopVisits; dashboard: ShopDashboard; consents: ShopConsents; orders: ShopOrders };
    /** Shop owners' commission: rates, levels, earning and clawback (called by pledges and box charges through their ports). */
    commissions: Commissions;
    /** Product concepts: trials, ratings, the index and the launch gate (docs/selection.md). */
    concepts: Concepts;
    /** 红黑榜: shop owners' red and black marks, the ranked lists, factories' answers. */
    marks: Marks;
    /** Operators' state-changing requests, recorded by the route mounting (docs/operator-console.md § 审计日志). */
    audit: AuditLog;
  };
  /** Checks every ledger invariant against the pledges and payments (the `reconcile` command). */
  reconcile(): Promise<ReconcileReport>;
  /** Stops what the app keeps running (the rate limits' timers, the Redis connections); the worker and the database are closed by their owners. */
  close(): Promise<void>;
  /** Applies pending migrations and puts in the starter data every installation needs (the fruit catalogue, plans); returns the migrations applied. */
  prepare(): Promise<string[]>;
}

/** The composition root: every service, job and route of the product, built by hand in dependency order. */
export function buildApp(deps: AppDeps): App {
  const { config, db, logger, clock } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const jobs = new Jobs(db, logger, metrics, config.jobs);
  const tokens = new TokenService(deps.secrets.auth, config.tokenTtlSeconds);
  const idempotency = new IdempotencyStore(db, { ...IDEMPOTENCY_DEFAULTS, secret: deps.secrets.auth });

  // Replicas share rate-limit counters and hear of ended sessions through Redis; sessions are cached only
  // where an ended one is sure to be heard of: with Redis, or in the one process there is (docs/operations.md § Replicas).
  const redis = config.redis ? new SharedRedis({ ...config.redis, logger }) : undefined;
  const sessionsHeard = redis ? redis.broadcast('sessions-ended') : config.singleReplica ? ONE_PROCESS : undefined;
  const accounts = new AccountService({
    db,
    tokens,
    clock,
    hasher: new PasswordHasher(config.passwordHashing),
    sessions: sessionsHeard && new SessionCache(sessionsHeard),
  });
  // The only SMS sender so far is the sandbox: it delivers nothing, and logs a code only where codes are
  // given away anyway (the demo's echo, the test routes' outbox), never on a server merely not in production.
  const sms = new SandboxSmsSender({ logger, revealCodes: config.sms.sandboxEcho || config.payments.sandboxTestRoutes, now: () => clock.now() });
  const phoneCodes = new PhoneCodes({ db, clock, sms, accounts, secret: deps.secrets.auth, settings: config.sms });
  const factories = new FactoryService({ db, accounts, clock });
  const ledger = new LedgerService(db, clock);
  const notifications = new NotificationService({ db, clock });
  const sandbox = new SandboxGateway(deps.secrets.sandbox, config.payments.notificationToleranceSeconds, { clock, sheet: config.payments.sandboxCheckout });
  const gateways = new Map<string, PaymentGateway>([sandbox, ...(deps.gateways ?? [])].map((g) => [g.name, g]));
  if (deps.providers?.alipay) gateways.set('alipay', new AlipayGateway(deps.providers.alipay));
  if (deps.providers?.wechatPay) gateways.set('wechatpay', new WechatPayGateway(deps.providers.wechatPay, { clock, logger }));
  const payments = new PaymentService({
    db,
    jobs,
    ledger,
    clock,
    gateways,
    queryAfterMs: config.payments.queryAfterMinutes * 60_000,
    refundStuckAfterMs: config.payments.refundStuckAfterMinutes * 60_000,
    autoConfirm:
      config.payments.sandboxAutoConfirm === 'off'
        ? undefined
        : { gateway: sandbox, kinds: config.payments.sandboxAutoConfirm === 'all' ? ['deposit', 'balance', 'box'] : UNATTENDED_KINDS },
    onBackgroundError: (error) => logger.warn({ err: error }, 'sandbox auto-confirm failed; its job confirms the payment again shortly'),
  });
  const reconciliation = new PaymentReconciliation({
    db,
    clock,
    logger,
    payments,
    gateways,
    queryAfterMs: config.payments.queryAfterMinutes * 60_000,
    // Every operator is told, in the transaction that records the differences.
    onDifferences: async (tx, { provider, day, differences }) =>
      notifications.notifyMany(
        tx,
        (await accounts.operatorIds(tx)).map((userId) => ({
          userId,
          kind: 'statement_differences' as const,
          data: { provider, day, differences: differences.length, refunded: differences.filter((d) => d.resolution === 'refunded').length },
        })),
      ),
  });
  const tallies = new PledgeTallies(db);
  const campaigns = new CampaignService({ db, jobs, clock, factories, progress: tallies });
  const campaignReads = new CampaignReads({ campaigns, clock, maxAgeMs: config.campaignReadCacheMs, onLoad: () => metrics.campaignReadLoads.inc() });
  // Shop owners earn on sales in the sale's own transaction: pledges and box charges call the commissions through their ports.
  const catalogue = new SubscriptionCatalogue({ db, clock, jobs, factories });
  const shopOwners = new ShopOwners({ db, clock, campaignReads, catalogue });
  const commissions = new Commissions({
    db,
    clock,
    ledger,
    campaigns,
    catalogue,
    shops: shopOwners,
    platformFeeRate: config.pledges.platformFeeRate,
  });
  const flows = new MoneyFlows(ledger, payments, config.pledges.platformFeeRate, commissions);
  const notifier = new FactoryNotifier({ accounts, notifications });
  // Orchards' weekly statements read which boxes ship in a week from the subscriptions module's fulfilment.
  const fulfilment = new Fulfilment({ db });
  const statements = new Statements({ db, jobs, clock, ledger, campaigns, notifier, shipWeeks: fulfilment });
  // The sandbox pays no one: offered only in the demo and tests; elsewhere payouts go out as a bank file.
  const payoutSandbox = config.payments.sandboxPayouts ? new SandboxPayoutGateway() : undefined;
  const payoutGateways: PayoutGateway[] = [new BankFilePayouts(), ...(payoutSandbox ? [payoutSandbox] : [])];
  // Pledges and subscriptions record the shop owner a consumer is bound to when they are made (docs/shop-owners.md).
  const shopBindings = new ShopBindings({ db, clock, bindingDays: config.shops.bindingDays });
  const moves = new PledgeMoves({ db, clock, campaigns, payments, notifications, tallies, finalObservers: [statements] });
  const pledges = {
    placement: new PledgePlacement({
      db,
      jobs,
      clock,
      campaigns,
      payments,
      tallies,
      attribution: shopBindings,
      depositTtlMinutes: config.pledges.depositTtlMinutes,
      onPlaced: (pledge) => {
        metrics.pledgesPlaced.inc();
        metrics.unitsPledged.inc(pledge.quantity);
      },
      onBatch: () => metrics.pledgeBatches.inc(),
    }),
    payments: new PledgePayments({ db, clock, campaigns, payments, notifications, flows, moves }),
    cancellation: new PledgeCancellation({ db, clock, campaigns, payments, flows, moves }),
    afterSale: new AfterSaleRefunds({ db, campaigns, notifications, flows, moves }),
    moves,
    reads: new PledgeReads({ db, campaigns }),
  };
  const settlement = new Settlement({
    db,
    jobs,
    clock,
    campaigns,
    payments,
    notifications,
    flows,
    tallies,
    moves,
    balanceReminderHours: config.pledges.balanceReminderHours,
  });
  payments.setListener(['deposit', 'balance'], pledges.payments);
  const webhooks = new FactoryWebhooks({
    db,
    clock,
    box: new SecretBox(deps.secrets.auth, 'factory-webhook-secrets'),
    allowPrivateAddresses: config.forecasts.webhookAllowPrivateAddresses,
    timeoutMs: config.forecasts.webhookTimeoutMs,
  });
  const planning = new BoxPlanning({ db, clock });
  const schedule = new SubscriptionSchedule({ db, clock });
  const subscriptions = {
    catalogue,
    lifecycle: new SubscriptionLifecycle({ db, clock, planning, schedule, attribution: shopBindings }),
    schedule,
    planning,
    fulfilment,
    shortfall: new ShortfallSharing({ db, clock, planning }),
  };
  const forecasts = new ForecastService({
    db,
    clock,
    jobs,
    campaigns,
    factories,
    tallies,
    webhooks,
    sources: [new OrchardDemand({ jobs, clock })],
    config: config.forecasts,
  });
  // A decision (or cancel) settles the pledges and republishes the factory's forecast, in the deciding transaction.
  const decisions = new CampaignDecisions({ db, clock, campaigns, pledges: settlement, observers: [settlement, forecasts] });
  const { publicBaseUrl, wechat: wechatAccount } = config.storefront;
  const wechat = wechatAccount ? new WechatJsSdk(wechatAccount) : undefined;
  const shopVisits = new ShopVisits({ db, clock, owners: shopOwners, campaignReads });
  const shopConsents = new ShopConsents({ db, clock });
  const shops = {
    owners: shopOwners,
    bindings: shopBindings,
    visits: shopVisits,
    // The pledges attributed to a shop, counted by the pledges module (its own table).
    // Commission in money comes from the payouts module's statements (shopEarnings, built below; called only once serving).
    dashboard: new ShopDashboard({
      owners: shopOwners,
      visits: shopVisits,
      sales: pledges.reads,
      standings: commissions,
      earnings: { totalsOf: (shopId) => shopEarnings.totalsOf(shopId) },
      campaignReads,
    }),
    consents: shopConsents,
    // A shop owner's orders: read from the pledges and subscriptions modules, phones from accounts, masked unless consented.
    orders: new ShopOrders({ owners: shopOwners, consents: shopConsents, accounts, pledges: pledges.reads, subscriptions: schedule }),
  };
  // Shop owners' commission statements and payouts read shops through this directory (docs/shop-owners.md).
  const shopDirectory: ShopDirectory = {
    approvedShopOf: async (userId) => {
      const id = await db.read((tx) => shopOwners.approvedShopOf(tx, userId));
      return id ? { id } : null;
    },
    shop: async (tx, shopId) => {
      const shop = await shopOwners.find(tx, shopId);
      return shop ? { userId: shop.userId, name: shop.name, code: shop.code ?? '' } : null;
    },
  };
  const shopStatements = new ShopStatements({
    db,
    clock,
    ledger,
    shops: shopDirectory,
    units: pledges.reads,
    campaignTitle: async (tx, campaignId) => (await campaigns.find(tx, campaignId))?.title ?? '',
    // Every operator is told, in the transaction that holds the commission.
    notifyOperators: async (tx, data) =>
      notifications.notifyMany(
        tx,
        (await accounts.operatorIds(tx)).map((userId) => ({ userId, kind: 'commission_held' as const, data })),
      ),
    settings: { ...config.shopPayouts, holdShare: new Decimal(config.shopPayouts.holdShare) },
  });
  const payouts = new Payouts({
    db,
    jobs,
    clock,
    ledger,
    notifier,
    notifications,
    shopStatements,
    shops: shopDirectory,
    gateways: new Map(payoutGateways.map((g) => [g.method, g])),
  });
  // A shop owner's commission pending / settled / paid (the dashboard's, per the shop-owner contract).
  const shopEarnings: ShopEarnings = {
    totalsOf: (shopId) => shopStatements.totalsOf(shopId, async (tx) => (await payouts.paidOutByShop(tx, shopId)).get(shopId) ?? ZERO),
  };
  // Every public way to tell whether a code is a shop's counts against one limit per client address.
  const rateLimits = new RateLimits({ redis, logger });
  const shopLookups = shopLookupLimits(config.shops.lookupsPerMinute, rateLimits);
  // Concepts read shop owners through the shops module's service and make campaigns through the campaigns module's.
  const concepts = new Concepts({
    db,
    clock,
    factories,
    campaigns,
    shops: shopOwners,
    settings: {
      priorWeight: config.concepts.priorWeight,
      defaultMean: config.concepts.defaultMean,
      launch: { minIndex: config.concepts.launchMinIndex, minRatings: config.concepts.launchMinRatings },
    },
  });
  // 红黑榜: subjects from the campaigns and factories, shop owners from shops, activity from shops (visits), commissions (sales) and concepts (trial ratings).
  const marks = new Marks({
    db,
    clock,
    sources: {
      shops: shopOwners,
      campaign: async (id) => {
        const read = await campaignReads.campaign(id);
        return read && { title: read.body.title, factoryId: read.body.factoryId };
      },
      factoryName: async (id) => (await factories.names([id])).get(id),
      accountCreatedAt: async (userId) => (await accounts.get(userId)).createdAt,
      activity: [
        { activeShops: (ids) => shopVisits.visitedShops(ids) },
        { activeShops: (ids) => commissions.shopsWithSales(ids) },
        { activeShops: (ids) => concepts.ratedShops(ids) },
      ],
    },
    minAccountAgeDays: config.marks.minAccountAgeDays,
    maxAgeMs: config.campaignReadCacheMs,
  });
  // Operators named as their account names them when they act.
  const audit = new AuditLog({
    db,
    clock,
    actors: {
      actor: async (userId) => {
        const user = await accounts.get(userId);
        return { name: user.displayName, email: user.email };
      },
    },
  });
  // The operators' front page and the gauges on /metrics (docs/operator-console.md § 概览), each figure from its module.
  const pledgeFigures = new PledgeFigures({ db });
  const refundFigures = new RefundFigures({ db });
  const jobFigures = new JobConsole({ db, jobs });
  const figures = new BusinessFigures({
    clock,
    maxAgeMs: 5_000,
    sources: {
      depositsHeld: () => pledgeFigures.depositsHeld(),
      balancesOutstanding: () => pledgeFigures.balancesOutstanding(),
      refunds: () => refundFigures.counts(),
      jobLag: () => jobFigures.lags(),
      webhookBatchesFailing: async () => {
        const health = await forecasts.webhookHealth(await db.read((tx) => factories.ids(tx)));
        return [...health.values()].reduce((n, h) => n + h.failingBatches, 0);
      },
      overdueBatches: async () => (await forecasts.overdueAcknowledgements()).length,
      pledgesPerMinute: (since, until) => pledgeFigures.perMinute(since, until),
    },
  });
  figures.register(metrics.registry);
  const boxCharges = new BoxCharges({ db, clock, jobs, payments, ledger, notifications, commissions });
  payments.setListener(['box'], boxCharges);

  // Every job of the product, by module (each module's *.jobs.ts says what its jobs do).
  jobs.register(
    ...accountJobs(accounts, phoneCodes, clock),
    ...paymentJobs(payments, reconciliation),
    ...campaignJobs(campaigns, decisions),
    ...pledgeJobs(moves, settlement),
    ...forecastJobs(forecasts, config.forecasts),
    ...subscriptionJobs(planning, subscriptions.shortfall, boxCharges),
    ...payoutJobs(statements, payouts, shopStatements),
    defineJob({
      name: 'platform.purge-idempotency-keys',
      payload: z.strictObject({}),
      schedule: { cron: '17 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async (_payload, { logger: jobLogger }) => {
        const purged = await idempotency.purgeExpired(clock.now());
        if (purged > 0) jobLogger.info({ purged }, 'expired idempotency keys purged');
      },
    }),
    defineJob({
      name: 'platform.purge-finished-jobs',
      payload: z.strictObject({}),
      schedule: { cron: '37 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async (_payload, { logger: jobLogger }) => {
        // Against the real clock, as the jobs' own times are (agenda's), not the business clock.
        const purged = await jobs.purgeFinished(new Date(Date.now() - config.jobs.finishedRetentionDays * 86_400_000));
        if (purged > 0) jobLogger.info({ purged }, 'finished jobs purged');
      },
    }),
  );

  // Each module's routes, grouped as the API description shows them (its tags).
  const routes = [
    ...tagged(
      'accounts',
      accountRoutes(accounts, { login: config.loginRateLimit, register: config.registerRateLimit }, rateLimits),
      phoneRoutes(
        phoneCodes,
        {
          sandboxEcho: config.sms.sandboxEcho,
          perAddressPerHour: config.sms.perAddressPerHour,
          failedVerifies: { windowMs: config.loginRateLimit.windowMs, max: config.loginRateLimit.max * 10 },
          sandboxOutbox: config.payments.sandboxTestRoutes ? sms : undefined,
        },
        rateLimits,
      ),
      notificationRoutes(notifications),
    ),
    ...tagged('factories', factoryRoutes(factories, forecasts)),
    ...tagged('campaigns', campaignRoutes(campaigns, campaignReads, decisions, clock)),
    ...tagged('pledges', pledgeRoutes(pledges, config.pledgeRateLimit, rateLimits, paymentDtos(sandbox))),
    ...tagged(
      'payments',
      paymentRoutes(payments, reconciliation, sandbox, clock, {
        sandboxTestRoutes: config.payments.sandboxTestRoutes,
        returnUrl: (req, paymentId) => `${publicOrigin(req, publicBaseUrl)}/pay/${paymentId}`,
      }),
    ),
    ...tagged('forecasts', webhookRoutes(webhooks, { requireHttps: config.env === 'production' }), forecastRoutes(forecasts, clock)),
    ...tagged('subscriptions', subscriptionRoutes(subscriptions, boxCharges), fruitRoutes(catalogue, new FruitReports({ db }), factories)),
    ...tagged(
      'payouts',
      payoutRoutes(statements, payouts, { exists: (tx, factoryId) => factories.exists(tx, factoryId), names: (ids) => factories.names(ids) }),
      shopPayoutRoutes(shopStatements, shopEarnings, payouts, shopDirectory),
    ),
    ...tagged(
      'shops',
      shopRoutes(shops, { applicationsPerHour: config.shops.applicationsPerHour, lookups: shopLookups, rateLimits }),
      shopPrivacyRoutes(shops.orders, shops.consents),
      commissionRoutes(commissions),
    ),
    ...tagged(
      'money-desk',
      moneyDeskRoutes(
        new MoneySearch({ accounts, campaigns, pledges: pledges.reads, payments, subscriptions: schedule }),
        new MoneyRecords({ db, ledger, accounts, campaigns, pledges: pledges.reads, payments, subscriptions: schedule }),
        new LedgerBoard({
          db,
          clock,
          ledger,
          reconcile: () => reconcileLedger(),
          payouts,
          shopEarnings,
          accounts,
          campaigns,
          factoryNames: (ids) => factories.names(ids),
          shopNames: async (ids) =>
            db.read(async (tx) => {
              const names = new Map<string, string>();
              for (const id of ids) {
                const shop = await shopOwners.find(tx, id);
                if (shop) names.set(id, shop.name);
              }
              return names;
            }),
        }),
      ),
    ),
    ...tagged('concepts', conceptRoutes(concepts, clock)),
    ...tagged('marks', markRoutes(marks)),
    ...tagged('jobs', jobRoutes(new JobConsole({ db, jobs }))),
    ...tagged('audit', auditRoutes(audit)),
    ...tagged('operations', figureRoutes(figures)),
    ...tagged(
      'storefront',
      storefrontRoutes({
        wechat,
        publicBaseUrl,
        reads: campaignReads,
        posters: new Posters({ maxAgeMs: 10 * 60_000 }),
        shops: shopOwners,
        shopLookups: shopLookups.byAddress,
      }),
    ),
  ];
  const http = createHttpApp({
    logger,
    metrics,
    bodyLimit: config.bodyLimit,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    // The factory portal and the storefront (static web apps) before authentication: their files and pages are public, their data comes from /v1 with the user's token.
    handlers: [
      opsRouter({ db, jobs, metrics, expectWorker: deps.runsWorker, metricsToken: config.metricsToken }),
      webPages(
        portalRouter(),
        // A shop's storefront page (/s/:code) answers 404 for an unknown code: limited like the shop page's API.
        Router().get('/s/:code', shopLookups.byAddress),
        storefrontRouter({
          distDir: config.storefront.distDir,
          render: storefrontPages({
            reads: campaignReads,
            subscriptions: subscriptions.catalogue,
            publicBaseUrl,
            cacheMs: config.campaignReadCacheMs,
            shops: shopOwners,
          }),
          // Campaign pictures come from other https hosts; inside WeChat the JS-SDK is loaded from WeChat's own.
          csp: { imgSrc: ["'self'", 'data:', 'https:'], ...(wechat ? { scriptSrc: ["'self'", 'https://res.wx.qq.com', 'https://res2.wx.qq.com'] } : {}) },
        }),
        shareCodeRouter({ reads: campaignReads, publicBaseUrl, shops: shopOwners, shopLookups: shopLookups.byAddress }),
      ),
      authenticate(accounts, factories),
      mountRoutes(routes, idempotency, { validateResponses: config.validateResponses, audit }),
    ],
  });

  const reconcileLedger = () =>
    reconcile(db, ledger, {
      heldDepositsByCampaign: (tx) => settlement.heldDepositsByCampaign(tx),
      finalCampaignIds: (tx) => settlement.settledFinalCampaignIds(tx),
      gatewayTotals: (tx) => payments.totals(tx),
      paidOutByFactory: (tx) => payouts.paidOutByFactory(tx),
      paidOutByShop: (tx) => payouts.paidOutByShop(tx),
      // Each a check of its own on the console's ledger board.
      derivedRecords: [
        { check: 'pledge_tallies', violations: (tx) => tallies.violations(tx) },
        { check: 'box_charges', violations: (tx) => boxCharges.violations(tx) },
        { check: 'unexpected_payments_refunded_once', violations: (tx) => payments.violations(tx) },
        { check: 'payouts_pay_their_statements', violations: (tx) => payouts.violations(tx) },
        { check: 'commission_records', violations: (tx) => commissions.violations(tx) },
      ],
    });

  return {
    http,
    jobs,
    routes,
    metrics,
    services: {
      accounts,
      phoneCodes,
      sms,
      factories,
      idempotency,
      ledger,
      payments,
      reconciliation,
      sandbox,
      campaigns,
      campaignReads,
      wechat,
      decisions,
      pledges,
      settlement,
      notifications,
      forecasts,
      subscriptions,
      boxCharges,
      payouts: { statements, payouts, shopStatements, shopEarnings, sandbox: payoutSandbox },
      shops,
      commissions,
      concepts,
      marks,
      audit,
    },
    reconcile: reconcileLedger,
    close: async () => {
      rateLimits.close();
      await redis?.close();
    },
    prepare: async () => {
      const applied = await db.migrate();
      await subscriptions.catalogue.ensureCatalogue();
      return applied;
    },
  };
}
