import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { StartupError } from './startup-error';

/** Everything the service reads from its environment, parsed once at start-up. */
export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** undefined = generate one into DATA_DIR on first start (not allowed in production). */
  authSecret: string | undefined;
  tokenTtlSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimit: string;
  /** Requests one process works on at once; more are answered 503 `overloaded` at once (src/platform/http/listener.ts). */
  maxConcurrentRequests: number;
  corsOrigins: string[];
  /** Bearer token the Prometheus scraper sends to GET /metrics; undefined = metrics off. */
  metricsToken: string | undefined;
  /** Check every JSON answer against its route's response schema (a 500 if it is not as described): for tests, not for production (it costs a parse of every answer). */
  validateResponses: boolean;
  /** Express's `trust proxy`: off, the number of proxy hops in front of the service, or the proxies' addresses. */
  trustProxy: false | number | string[];
  bootstrapOperator: { email: string; password: string } | undefined;
  seedDemoData: boolean;
  jobs: { pollIntervalMs: number; lockLifetimeMs: number; concurrency: number; finishedRetentionDays: number };
  /** Shared by every replica: the rate limits' counters and the announcement of ended sessions (docs/operations.md § Replicas); undefined = none, each process alone. */
  redis: { url: string; keyPrefix: string } | undefined;
  /** Only one process serves the API from this database (SINGLE_REPLICA): sessions may be cached without Redis. */
  singleReplica: boolean;
  loginRateLimit: { windowMs: number; max: number };
  /** Sign-ups per client address, every attempt counted. */
  registerRateLimit: { windowMs: number; max: number };
  /** Pledges per minute, per consumer account and per client address: a bot cannot buy out a capped launch. */
  pledgeRateLimit: { perAccount: number; perAddress: number };
  /** Sign-in by phone number and a one-time code sent by SMS (src/accounts/phone-codes.ts). */
  sms: {
    /** Answer the code in the 202 (`sandboxCode`) so a demo can sign in without a phone: embedded demo only, never in production. */
    sandboxEcho: boolean;
    codeTtlSeconds: number;
    /** Wrong codes one code survives; then it is dead and a new one must be asked for. */
    maxAttempts: number;
    /** Per phone: one code per `resendAfterSeconds`, and at most `perPhonePerHour` an hour (kept in the database: every replica counts together). */
    resendAfterSeconds: number;
    perPhonePerHour: number;
    /** Codes asked for from one client address an hour, whatever the numbers (in memory, per replica). */
    perAddressPerHour: number;
  };
  /** argon2id cost of new password hashes, and how many are computed at once (and may wait). */
  passwordHashing: { memoryKiB: number; iterations: number; concurrency: number; queueLimit: number };
  payments: {
    /** HMAC key of the sandbox gateway's notifications; undefined = generated into DATA_DIR. */
    sandboxSecret: string | undefined;
    /**
     * Which sandbox payments the sandbox confirms by itself, through the same notification path: `all`
     * (SANDBOX_AUTO_CONFIRM=true; benchmarks), `unattended` (all but those a person pays on the checkout
     * sheet, deposits and balances: the embedded demo with its checkout on), or `off`.
     */
    sandboxAutoConfirm: 'all' | 'unattended' | 'off';
    /**
     * The sandbox checkout sheet: payment answers carry checkoutUrl, and the consumer who owns a deposit or
     * balance payment pays or fails it at POST /v1/payments/:id/sandbox-checkout. Demo only, never in production.
     */
    sandboxCheckout: boolean;
    /** Test-only routes with which an operator completes or fails a sandbox payment: only when switched on, never in production. */
    sandboxTestRoutes: boolean;
    /** The sandbox payout provider, which pays no one: the embedded demo and tests (SANDBOX_TEST_ROUTES) only, never in production. */
    sandboxPayouts: boolean;
    notificationToleranceSeconds: number;
    /** How long after a checkout a payment still pending is first asked about at its providers (its notification may be lost). */
    queryAfterMinutes: number;
    /** A refund still pending or processing this long after it was decided is stuck: listed for operators, who may send it again. */
    refundStuckAfterMinutes: number;
  };
  pledges: { depositTtlMinutes: number; balanceReminderHours: number; platformFeeRate: string };
  /** Shop owners (docs/shop-owners.md): how long a consumer stays bound to the shop owner whose link brought them. */
  shops: { bindingDays: number; applicationsPerHour: number; lookupsPerMinute: number };
  /** 红黑榜 (docs/selection.md § 红黑榜): marks of accounts younger than this many days are kept but do not count. */
  marks: { minAccountAgeDays: number };
  /**
   * Shop owners' statements and holds (docs/shop-owners.md): a month's commission is settled `settleDays` after it
   * ends; commission on a campaign is held where one shop owner's customers bought more than `holdShare` of its
   * completed units and at least `holdMinUnits`.
   */
  shopPayouts: { settleDays: number; holdShare: string; holdMinUnits: number };
  /**
   * Product concepts (docs/selection.md): the index's prior (C ratings of the platform mean, `defaultMean` while
   * nothing is rated) and the launch gate a concept passes without an operator's override.
   */
  concepts: { priorWeight: number; defaultMean: number; launchMinIndex: number; launchMinRatings: number };
  forecasts: {
    /** How long one webhook push may take before it counts as failed. */
    webhookTimeoutMs: number;
    /** Failed pushes are retried after this, doubling up to 120 times it; 40 retries from 30 s span more than a day. */
    webhookRetryBaseMs: number;
    /** Let webhook URLs reach loopback, private and other non-public addresses: for development only. */
    webhookAllowPrivateAddresses: boolean;
  };
  /** How old a public campaign read (GET /v1/campaigns/:id, the list, the storefront's pages) may be: at most a second. 0 = no cache. */
  campaignReadCacheMs: number;
  storefront: {
    /** The storefront's build (index.html and assets/): storefront/dist unless STOREFRONT_DIST says where another build is. */
    distDir: string | undefined;
    /** The origin people reach the storefront at (https://shop.example.com), for share links, og:url and QR codes; undefined = from each request. */
    publicBaseUrl: string | undefined;
    /** The WeChat official account (公众号) whose jsapi_ticket signs the JS-SDK config; undefined = share cards from the meta tags only. */
    wechat: { appId: string; appSecret: string; apiBase: string } | undefined;
  };
}

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'mysql'; url: string };

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** proxy-addr's names for address ranges, accepted by Express beside addresses and subnets. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const isProxyAddress = (entry: string) => {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  return family !== 0 && rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
};

/**
 * Which X-Forwarded-For entries to believe. Never "all of them": the left-most entry is whatever the client
 * wrote, so trusting every hop would let any client pick the address the rate limits count.
 */
const trustProxy = z.string().transform((value, ctx): false | number | string[] => {
  if (['false', 'no', '0'].includes(value)) return false;
  if (['true', 'yes'].includes(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" would trust every X-Forwarded-For entry, and the left-most one is whatever the client writes (any client could choose its address and dodge the rate limits): set the number of proxies in front of the service (e.g. 1) or their addresses (e.g. 10.0.0.0/8,127.0.0.1)`,
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be false, a number of proxy hops (e.g. 1) or a comma-separated list of proxy addresses and subnets (e.g. 10.0.0.0/8,127.0.0.1); not ${bad.join(', ') || 'empty'}`,
    });
    return z.NEVER;
  }
  return entries;
});

/** An origin such as https://shop.example.com (a trailing slash is dropped); no path, query or fragment: the storefront is served at /. */
const publicBaseUrl = z.string().transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    ctx.addIssue({ code: 'custom', message: `must be an absolute http(s) origin with no path, such as https://shop.example.com; not ${value}` });
    return z.NEVER;
  }
  return url.origin;
});

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^mysql:\/\/[^/]+\/[A-Za-z0-9_$-]+(\?.*)?$/, 'must look like mysql://user:pass@host:3306/database')
    .optional(),
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TOKEN_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(12),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/, 'a size such as 100kb')
    .default('100kb'),
  MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(1).default(512),
  CORS_ORIGINS: z.string().optional(),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  TRUST_PROXY: trustProxy.default(false),
  BOOTSTRAP_OPERATOR_EMAIL: z.email().optional(),
  BOOTSTRAP_OPERATOR_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SEED_DEMO_DATA: bool.optional(),
  JOBS_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  JOBS_LOCK_LIFETIME_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(10 * 60_000),
  JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(20),
  JOBS_FINISHED_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/[^/\s]+(\/\d{1,2})?$/, 'must look like redis://[user:pass@]host:6379[/db] (rediss:// for TLS)')
    .optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only, such as c2m:')
    .default('c2m:'),
  SINGLE_REPLICA: bool.default(false),
  LOGIN_RATE_LIMIT_PER_15_MIN: z.coerce.number().int().min(1).default(10),
  PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN: z.coerce.number().int().min(1).default(20),
  PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN: z.coerce.number().int().min(1).default(1200),
  REGISTER_RATE_LIMIT_PER_15_MIN: z.coerce.number().int().min(1).default(100),
  // OWASP's argon2id parameters (m = 19 MiB, t = 2); 8 KiB and 1 iteration are argon2's floor, for tests.
  PASSWORD_HASH_MEMORY_KIB: z.coerce
    .number()
    .int()
    .min(8)
    .max(1024 * 1024)
    .default(19 * 1024),
  PASSWORD_HASH_ITERATIONS: z.coerce.number().int().min(1).max(100).default(2),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  PASSWORD_HASH_QUEUE_LIMIT: z.coerce.number().int().min(0).max(10_000).default(64),
  SMS_SANDBOX_ECHO: bool.optional(),
  SMS_CODE_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(300),
  SMS_CODE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(5),
  SMS_RESEND_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  SMS_CODES_PER_PHONE_PER_HOUR: z.coerce.number().int().min(1).max(1000).default(5),
  SMS_CODES_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(30),
  SANDBOX_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SANDBOX_AUTO_CONFIRM: bool.optional(),
  SANDBOX_TEST_ROUTES: bool.default(false),
  VALIDATE_RESPONSES: bool.default(false),
  SANDBOX_CHECKOUT: bool.optional(),
  PAYMENT_QUERY_AFTER_MINUTES: z.coerce.number().int().min(1).max(120).default(5),
  REFUND_STUCK_AFTER_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
  SHOP_BINDING_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SHOP_APPLICATIONS_PER_HOUR: z.coerce.number().int().min(1).default(5),
  SHOP_LOOKUPS_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  MARKS_MIN_ACCOUNT_AGE_DAYS: z.coerce.number().int().min(0).max(365).optional(),
  COMMISSION_SETTLE_DAYS: z.coerce.number().int().min(0).max(120).default(15),
  COMMISSION_HOLD_SHARE: z
    .string()
    .regex(/^0(\.\d{1,4})?$/, 'a share between 0 and 1 such as 0.5')
    .default('0.5'),
  COMMISSION_HOLD_MIN_UNITS: z.coerce.number().int().min(1).default(20),
  CONCEPT_INDEX_PRIOR_WEIGHT: z.coerce.number().int().min(1).max(10_000).default(10),
  CONCEPT_INDEX_DEFAULT_MEAN: z.coerce.number().min(0).max(10).default(6),
  CONCEPT_LAUNCH_MIN_INDEX: z.coerce.number().min(0).max(10).default(5),
  CONCEPT_LAUNCH_MIN_RATINGS: z.coerce.number().int().min(0).max(100_000).default(20),
  DEPOSIT_TTL_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(15),
  BALANCE_REMINDER_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3600_000).default(30_000),
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: bool.default(false),
  CAMPAIGN_CACHE_MS: z.coerce.number().int().min(0).max(1000, 'must be at most 1000: a campaign page may show progress at most a second old').default(1000),
  PUBLIC_BASE_URL: publicBaseUrl.optional(),
  STOREFRONT_DIST: z.string().min(1).optional(),
  WECHAT_APP_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a WeChat app id such as wx1234567890abcdef')
    .optional(),
  WECHAT_APP_SECRET: z.string().min(16, 'must be at least 16 characters').max(128).optional(),
  WECHAT_API_BASE: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://api.weixin.qq.com' }).default('https://api.weixin.qq.com'),
  PLATFORM_FEE_RATE: z
    .string()
    .regex(/^0(\.\d{1,4})?$/, 'a rate between 0 and 1 such as 0.05')
    .default('0.05'),
});

export class ConfigError extends StartupError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as a shell user would expect from `FOO= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`)), ...crossChecks(present)];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  // Try-it-out conveniences are on by default only here: no database named, not production.
  const embeddedDemo = e.NODE_ENV !== 'production' && !e.DATABASE_URL;
  const sandboxCheckout = e.SANDBOX_CHECKOUT ?? embeddedDemo;
  const seedDemoData = e.SEED_DEMO_DATA ?? embeddedDemo;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: e.DATABASE_URL ? { kind: 'mysql', url: e.DATABASE_URL } : { kind: 'sqlite', file: path.join(dataDir, 'c2m.sqlite') },
    authSecret: e.AUTH_SECRET,
    tokenTtlSeconds: Math.round(e.TOKEN_TTL_HOURS * 3600),
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.BODY_LIMIT,
    maxConcurrentRequests: e.MAX_CONCURRENT_REQUESTS,
    corsOrigins: e.CORS_ORIGINS
      ? e.CORS_ORIGINS.split(',')
          .map((o) => o.trim())
          .filter(Boolean)
      : [],
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
    validateResponses: e.VALIDATE_RESPONSES,
    bootstrapOperator:
      e.BOOTSTRAP_OPERATOR_EMAIL && e.BOOTSTRAP_OPERATOR_PASSWORD ? { email: e.BOOTSTRAP_OPERATOR_EMAIL, password: e.BOOTSTRAP_OPERATOR_PASSWORD } : undefined,
    // The embedded default is for trying the product: it starts with demo data unless told otherwise.
    seedDemoData,
    jobs: {
      pollIntervalMs: e.JOBS_POLL_INTERVAL_MS,
      lockLifetimeMs: e.JOBS_LOCK_LIFETIME_MS,
      concurrency: e.JOBS_CONCURRENCY,
      finishedRetentionDays: e.JOBS_FINISHED_RETENTION_DAYS,
    },
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : undefined,
    singleReplica: e.SINGLE_REPLICA,
    loginRateLimit: { windowMs: 15 * 60_000, max: e.LOGIN_RATE_LIMIT_PER_15_MIN },
    pledgeRateLimit: { perAccount: e.PLEDGE_RATE_LIMIT_PER_ACCOUNT_PER_MIN, perAddress: e.PLEDGE_RATE_LIMIT_PER_ADDRESS_PER_MIN },
    registerRateLimit: { windowMs: 15 * 60_000, max: e.REGISTER_RATE_LIMIT_PER_15_MIN },
    sms: {
      // The embedded demo shows the code in the answer, so a new user can sign in by phone without one.
      sandboxEcho: e.SMS_SANDBOX_ECHO ?? (e.NODE_ENV !== 'production' && !e.DATABASE_URL),
      codeTtlSeconds: e.SMS_CODE_TTL_SECONDS,
      maxAttempts: e.SMS_CODE_MAX_ATTEMPTS,
      resendAfterSeconds: e.SMS_RESEND_AFTER_SECONDS,
      perPhonePerHour: e.SMS_CODES_PER_PHONE_PER_HOUR,
      perAddressPerHour: e.SMS_CODES_PER_ADDRESS_PER_HOUR,
    },
    passwordHashing: {
      memoryKiB: e.PASSWORD_HASH_MEMORY_KIB,
      iterations: e.PASSWORD_HASH_ITERATIONS,
      concurrency: e.PASSWORD_HASH_CONCURRENCY,
      queueLimit: e.PASSWORD_HASH_QUEUE_LIMIT,
    },
    payments: {
      sandboxSecret: e.SANDBOX_SECRET,
      // The embedded demo confirms sandbox payments by itself, so a new user sees things go through; with its
      // checkout sheet on, the deposits and balances a person pays there are that person's to pay, fail or
      // abandon (else "fail" and closing the sheet would mean nothing). Switched on explicitly, it confirms all.
      sandboxAutoConfirm:
        e.SANDBOX_AUTO_CONFIRM === true ? 'all' : e.SANDBOX_AUTO_CONFIRM === false || !embeddedDemo ? 'off' : sandboxCheckout ? 'unattended' : 'all',
      sandboxTestRoutes: e.SANDBOX_TEST_ROUTES,
      sandboxPayouts: e.NODE_ENV !== 'production' && (embeddedDemo || e.SANDBOX_TEST_ROUTES),
      sandboxCheckout,
      notificationToleranceSeconds: 300,
      queryAfterMinutes: e.PAYMENT_QUERY_AFTER_MINUTES,
      refundStuckAfterMinutes: e.REFUND_STUCK_AFTER_MINUTES,
    },
    shops: { bindingDays: e.SHOP_BINDING_DAYS, applicationsPerHour: e.SHOP_APPLICATIONS_PER_HOUR, lookupsPerMinute: e.SHOP_LOOKUPS_PER_MINUTE },
    // Demo shop owners are minutes old: where demo data is seeded their marks count, so its 红黑榜 is not empty.
    marks: { minAccountAgeDays: e.MARKS_MIN_ACCOUNT_AGE_DAYS ?? (seedDemoData ? 0 : 30) },
    shopPayouts: { settleDays: e.COMMISSION_SETTLE_DAYS, holdShare: e.COMMISSION_HOLD_SHARE, holdMinUnits: e.COMMISSION_HOLD_MIN_UNITS },
    concepts: {
      priorWeight: e.CONCEPT_INDEX_PRIOR_WEIGHT,
      defaultMean: e.CONCEPT_INDEX_DEFAULT_MEAN,
      launchMinIndex: e.CONCEPT_LAUNCH_MIN_INDEX,
      launchMinRatings: e.CONCEPT_LAUNCH_MIN_RATINGS,
    },
    pledges: { depositTtlMinutes: e.DEPOSIT_TTL_MINUTES, balanceReminderHours: e.BALANCE_REMINDER_HOURS, platformFeeRate: e.PLATFORM_FEE_RATE },
    forecasts: {
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      webhookRetryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      webhookAllowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
    },
    campaignReadCacheMs: e.CAMPAIGN_CACHE_MS,
    storefront: {
      distDir: e.STOREFRONT_DIST ? path.resolve(e.STOREFRONT_DIST) : undefined,
      publicBaseUrl: e.PUBLIC_BASE_URL,
      wechat:
        e.WECHAT_APP_ID && e.WECHAT_APP_SECRET
          ? { appId: e.WECHAT_APP_ID, appSecret: e.WECHAT_APP_SECRET, apiBase: e.WECHAT_API_BASE.replace(/\/+$/, '') }
          : undefined,
    },
  };
}

/** Rules between variables, checked even when some variable is malformed so that every problem is listed at once. */
function crossChecks(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (Boolean(env.BOOTSTRAP_OPERATOR_EMAIL) !== Boolean(env.BOOTSTRAP_OPERATOR_PASSWORD)) {
    problems.push('BOOTSTRAP_OPERATOR_PASSWORD: set both BOOTSTRAP_OPERATOR_EMAIL and BOOTSTRAP_OPERATOR_PASSWORD, or neither');
  }
  if (Boolean(env.WECHAT_APP_ID) !== Boolean(env.WECHAT_APP_SECRET)) {
    problems.push(
      "WECHAT_APP_SECRET: set both WECHAT_APP_ID and WECHAT_APP_SECRET (the official account's AppID and AppSecret) for WeChat share cards, or neither",
    );
  }
  if (env.WECHAT_APP_ID && env.WECHAT_APP_SECRET && !env.PUBLIC_BASE_URL) {
    problems.push(
      "PUBLIC_BASE_URL: is required with WECHAT_APP_ID: the JS-SDK config is signed only for pages of that origin (the domain registered as the official account's JS接口安全域名), never for whatever Host a request names",
    );
  }
  if (env.NODE_ENV === 'production' && !env.AUTH_SECRET) problems.push('AUTH_SECRET: is required in production (replicas must share it)');
  if (env.NODE_ENV === 'production' && ['true', '1', 'yes'].includes(env.SEED_DEMO_DATA ?? '')) {
    problems.push('SEED_DEMO_DATA: demo accounts have published passwords: not in production');
  }
  if (env.NODE_ENV === 'production' && ['true', '1', 'yes'].includes(env.SANDBOX_CHECKOUT ?? '')) {
    problems.push('SANDBOX_CHECKOUT: the sandbox checkout lets a consumer mark their own payment as paid: not in production');
  }
  if (env.NODE_ENV === 'production' && ['true', '1', 'yes'].includes(env.SANDBOX_TEST_ROUTES ?? '')) {
    problems.push('SANDBOX_TEST_ROUTES: the routes that mark a payment as paid are for tests: not in production');
  }
  if (env.NODE_ENV === 'production' && ['true', '1', 'yes'].includes(env.SMS_SANDBOX_ECHO ?? '')) {
    problems.push('SMS_SANDBOX_ECHO: it answers every sign-in code to whoever asks for it, so anyone could sign in as any phone: not in production');
  }
  return problems;
}
