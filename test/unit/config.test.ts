import path from 'node:path';
import { ConfigError, parseConfig } from '../../src/platform/config';

describe('config', () => {
  test('with nothing set, gives the embedded default: SQLite in ./data, port 3000, demo data', () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('data', 'c2m.sqlite') });
    expect(config.seedDemoData).toBe(true);
    expect(config.corsOrigins).toEqual([]);
    expect(config.authSecret).toBeUndefined();
  });

  test('DATABASE_URL selects MySQL and turns demo data off', () => {
    const config = parseConfig({ DATABASE_URL: 'mysql://app:secret@db.internal:3306/c2m' });
    expect(config.database).toEqual({ kind: 'mysql', url: 'mysql://app:secret@db.internal:3306/c2m' });
    expect(config.seedDemoData).toBe(false);
  });

  test('an empty variable counts as unset', () => {
    expect(parseConfig({ PORT: '', DATABASE_URL: '' }).database.kind).toBe('sqlite');
  });

  test('lists every bad variable at once, by name', () => {
    let error: unknown;
    try {
      parseConfig({ PORT: 'eighty', DATABASE_URL: 'postgres://x/y', LOG_LEVEL: 'loud', BOOTSTRAP_OPERATOR_EMAIL: 'ops@example.com', TRUST_PROXY: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['BOOTSTRAP_OPERATOR_PASSWORD', 'DATABASE_URL', 'LOG_LEVEL', 'PORT', 'TRUST_PROXY']);
    expect(message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  test('TRUST_PROXY takes a number of proxy hops or a list of proxy addresses, never "trust everything"', () => {
    expect(parseConfig({}).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(parseConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8 ,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8', 'loopback']);
    for (const everything of ['true', 'yes']) expect(() => parseConfig({ TRUST_PROXY: everything })).toThrow(/TRUST_PROXY: .*X-Forwarded-For.*client writes/);
    for (const bad of ['10.0.0.0/33', '10.0.0', 'proxy.internal', '-1', '1.5']) expect(() => parseConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
  });

  test('production demands a shared AUTH_SECRET and refuses demo accounts', () => {
    expect(() => parseConfig({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true' })).toThrow(/AUTH_SECRET: is required in production[\s\S]*SEED_DEMO_DATA/);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40) }).seedDemoData).toBe(false);
  });

  test('the sandbox test routes are off unless switched on, and cannot be switched on in production', () => {
    for (const NODE_ENV of ['development', 'test', 'production'])
      expect(parseConfig({ NODE_ENV, AUTH_SECRET: 'x'.repeat(40) }).payments.sandboxTestRoutes).toBe(false);
    expect(parseConfig({ NODE_ENV: 'test', SANDBOX_TEST_ROUTES: 'true' }).payments.sandboxTestRoutes).toBe(true);
    expect(() => parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40), SANDBOX_TEST_ROUTES: 'true' })).toThrow(
      /SANDBOX_TEST_ROUTES: .*not in production/,
    );
  });

  test('the sandbox payout provider, which pays no one, exists only for the embedded demo and tests', () => {
    const mysql = 'mysql://app:secret@db.internal:3306/c2m';
    expect(parseConfig({}).payments.sandboxPayouts).toBe(true);
    expect(parseConfig({ DATABASE_URL: mysql }).payments.sandboxPayouts).toBe(false);
    expect(parseConfig({ DATABASE_URL: mysql, NODE_ENV: 'test', SANDBOX_TEST_ROUTES: 'true' }).payments.sandboxPayouts).toBe(true);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40) }).payments.sandboxPayouts).toBe(false);
  });

  test('the sandbox checkout sheet is on only for the embedded demo, and cannot be switched on in production', () => {
    const mysql = 'mysql://app:secret@db.internal:3306/c2m';
    expect(parseConfig({}).payments.sandboxCheckout).toBe(true);
    expect(parseConfig({ DATABASE_URL: mysql }).payments.sandboxCheckout).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40) }).payments.sandboxCheckout).toBe(false);
    expect(parseConfig({ DATABASE_URL: mysql, SANDBOX_CHECKOUT: 'true' }).payments.sandboxCheckout).toBe(true);
    expect(parseConfig({ SANDBOX_CHECKOUT: 'false' }).payments.sandboxCheckout).toBe(false);
    expect(() => parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40), SANDBOX_CHECKOUT: 'true' })).toThrow(
      /SANDBOX_CHECKOUT: .*not in production/,
    );
  });

  test('sandbox auto-confirm: the embedded demo leaves deposits and balances to its checkout sheet; switched on, it confirms everything', () => {
    const mysql = 'mysql://app:secret@db.internal:3306/c2m';
    expect(parseConfig({}).payments.sandboxAutoConfirm).toBe('unattended');
    expect(parseConfig({ SANDBOX_CHECKOUT: 'false' }).payments.sandboxAutoConfirm).toBe('all');
    expect(parseConfig({ SANDBOX_AUTO_CONFIRM: 'true' }).payments.sandboxAutoConfirm).toBe('all');
    expect(parseConfig({ SANDBOX_AUTO_CONFIRM: 'false' }).payments.sandboxAutoConfirm).toBe('off');
    expect(parseConfig({ DATABASE_URL: mysql }).payments.sandboxAutoConfirm).toBe('off');
    expect(parseConfig({ DATABASE_URL: mysql, SANDBOX_AUTO_CONFIRM: 'true' }).payments.sandboxAutoConfirm).toBe('all');
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40) }).payments.sandboxAutoConfirm).toBe('off');
  });

  test('the storefront: share links from PUBLIC_BASE_URL (an origin), WeChat share cards only with both the app id and the secret', () => {
    const none = parseConfig({});
    expect(none.storefront).toEqual({ distDir: undefined, publicBaseUrl: undefined, wechat: undefined });
    expect(none.campaignReadCacheMs).toBe(1000);
    expect(parseConfig({ PUBLIC_BASE_URL: 'https://shop.example.com/' }).storefront.publicBaseUrl).toBe('https://shop.example.com');
    for (const bad of ['shop.example.com', 'https://shop.example.com/store', 'ftp://shop.example.com', 'https://shop.example.com/?a=1'])
      expect(() => parseConfig({ PUBLIC_BASE_URL: bad })).toThrow(/PUBLIC_BASE_URL: must be an absolute http\(s\) origin/);
    const shop = { PUBLIC_BASE_URL: 'https://shop.example.com' };
    expect(parseConfig({ ...shop, WECHAT_APP_ID: 'wx1234567890abcdef', WECHAT_APP_SECRET: 's'.repeat(32) }).storefront.wechat).toEqual({
      appId: 'wx1234567890abcdef',
      appSecret: 's'.repeat(32),
      apiBase: 'https://api.weixin.qq.com',
    });
    expect(
      parseConfig({ ...shop, WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's'.repeat(32), WECHAT_API_BASE: 'http://127.0.0.1:9000/' }).storefront.wechat?.apiBase,
    ).toBe('http://127.0.0.1:9000');
    // Signing is for the one registered domain, never for whatever Host a request names.
    expect(() => parseConfig({ WECHAT_APP_ID: 'wx1234567890abcdef', WECHAT_APP_SECRET: 's'.repeat(32) })).toThrow(
      /PUBLIC_BASE_URL: is required with WECHAT_APP_ID/,
    );
    // One without the other is a mistake, not "off": start-up stops and says what to set.
    expect(() => parseConfig({ WECHAT_APP_ID: 'wx1234567890abcdef' })).toThrow(/WECHAT_APP_SECRET: set both WECHAT_APP_ID and WECHAT_APP_SECRET/);
    expect(() => parseConfig({ WECHAT_APP_SECRET: 's'.repeat(32) })).toThrow(/WECHAT_APP_SECRET: set both/);
    expect(() => parseConfig({ CAMPAIGN_CACHE_MS: '5000' })).toThrow(/CAMPAIGN_CACHE_MS: must be at most 1000/);
    expect(parseConfig({ CAMPAIGN_CACHE_MS: '0' }).campaignReadCacheMs).toBe(0);
  });

  test('SMS_SANDBOX_ECHO is on by default only for the embedded demo, and cannot be switched on in production', () => {
    const mysql = 'mysql://c2m:secret@db:3306/c2m';
    expect(parseConfig({}).sms.sandboxEcho).toBe(true);
    expect(parseConfig({ DATABASE_URL: mysql }).sms.sandboxEcho).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40) }).sms.sandboxEcho).toBe(false);
    expect(parseConfig({ DATABASE_URL: mysql, SMS_SANDBOX_ECHO: 'true' }).sms.sandboxEcho).toBe(true);
    expect(parseConfig({ SMS_SANDBOX_ECHO: 'false' }).sms.sandboxEcho).toBe(false);
    expect(() => parseConfig({ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(40), SMS_SANDBOX_ECHO: 'true' })).toThrow(
      /SMS_SANDBOX_ECHO: .*not in production/,
    );
  });

  test('the phone-code limits have sane defaults and are configurable', () => {
    expect(parseConfig({}).sms).toMatchObject({ codeTtlSeconds: 300, maxAttempts: 5, resendAfterSeconds: 60, perPhonePerHour: 5, perAddressPerHour: 30 });
    expect(
      parseConfig({
        SMS_CODE_TTL_SECONDS: '600',
        SMS_CODE_MAX_ATTEMPTS: '3',
        SMS_RESEND_AFTER_SECONDS: '90',
        SMS_CODES_PER_PHONE_PER_HOUR: '4',
        SMS_CODES_PER_ADDRESS_PER_HOUR: '100',
      }).sms,
    ).toMatchObject({ codeTtlSeconds: 600, maxAttempts: 3, resendAfterSeconds: 90, perPhonePerHour: 4, perAddressPerHour: 100 });
    expect(() => parseConfig({ SMS_CODE_TTL_SECONDS: '5', SMS_CODE_MAX_ATTEMPTS: '0' })).toThrow(/SMS_CODE_TTL_SECONDS[\s\S]*SMS_CODE_MAX_ATTEMPTS/);
  });
  test('REDIS_URL (redis:// or rediss://) turns on the shared limits, under REDIS_KEY_PREFIX; a URL in the problem is never echoed', () => {
    expect(parseConfig({}).redis).toBeUndefined();
    expect(parseConfig({}).singleReplica).toBe(false);
    expect(parseConfig({ REDIS_URL: 'redis://:s3cret@cache.internal:6379/2' }).redis).toEqual({
      url: 'redis://:s3cret@cache.internal:6379/2',
      keyPrefix: 'c2m:',
    });
    expect(parseConfig({ REDIS_URL: 'rediss://cache:6380', REDIS_KEY_PREFIX: 'staging:' }).redis).toEqual({
      url: 'rediss://cache:6380',
      keyPrefix: 'staging:',
    });
    expect(parseConfig({ SINGLE_REPLICA: 'true' }).singleReplica).toBe(true);
    let error: unknown;
    try {
      parseConfig({ REDIS_URL: 'http://:s3cret@cache:6379', REDIS_KEY_PREFIX: 'has space' });
    } catch (e) {
      error = e;
    }
    const { problems } = error as ConfigError;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['REDIS_KEY_PREFIX', 'REDIS_URL']);
    expect(problems.join('\n')).not.toContain('s3cret');
  });
});
