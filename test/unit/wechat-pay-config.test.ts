import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readConfig } from '../../src/app';
import { wechatPayConfig } from '../../src/payments';
import { ConfigError } from '../../src/platform/config';
import { FIXTURE_PLATFORM_CERTIFICATE, FIXTURE_PLATFORM_CERTIFICATE_SERIAL } from '../support/fake-wechat-pay';

const pem = (key: { export(options: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki') =>
  String(key.export({ type, format: 'pem' }));
const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(path.join(tmpdir(), 'wechatpay-config-'));
const keyFile = path.join(dir, 'apiclient_key.pem');
writeFileSync(keyFile, pem(merchant.privateKey, 'pkcs8'));
const apiV3KeyFile = path.join(dir, 'apiv3.key');
writeFileSync(apiV3KeyFile, 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\n');

/** A complete setup in the 微信支付公钥 mode, keys as files, as an operator would write it. */
const complete = {
  WECHATPAY_MCHID: '1900009191',
  WECHATPAY_APPID: 'wxd678efh567hg6787',
  WECHATPAY_MERCHANT_SERIAL: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C',
  WECHATPAY_PRIVATE_KEY_FILE: keyFile,
  WECHATPAY_APIV3_KEY_FILE: apiV3KeyFile,
  WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0114232134912410000000000001',
  WECHATPAY_PUBLIC_KEY: pem(platform.publicKey, 'spki'),
  WECHATPAY_NOTIFY_URL: 'https://shop.example.com/v1/payments/notifications/wechatpay',
};
/** What WeChat Pay needs beside its merchant number. */
const MISSING_BESIDE_MCHID = [
  'WECHATPAY_APPID',
  'WECHATPAY_MERCHANT_SERIAL',
  'WECHATPAY_PRIVATE_KEY',
  'WECHATPAY_APIV3_KEY',
  'WECHATPAY_PUBLIC_KEY',
  'WECHATPAY_NOTIFY_URL',
];
const problemsOf = (env: Record<string, string>, now?: Date) => {
  const parsed = wechatPayConfig(env, undefined, now);
  return 'problems' in parsed ? parsed.problems : [];
};

describe('WeChat Pay configuration', () => {
  test('nothing set (or only empty variables): WeChat Pay is off, and the sandbox stays the only gateway', () => {
    expect(wechatPayConfig({})).toEqual({ config: undefined });
    expect(wechatPayConfig({ WECHATPAY_MCHID: '', PORT: '3000' })).toEqual({ config: undefined });
  });

  test('a complete setup with the WeChat Pay public key, keys from files', () => {
    const parsed = wechatPayConfig(complete);
    if (!('config' in parsed) || !parsed.config) throw new Error(JSON.stringify(parsed));
    const { config } = parsed;
    expect(config.merchant).toMatchObject({ mchid: '1900009191', serial: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C' });
    expect(config.apiV3Key.toString()).toBe('a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb');
    expect([...config.platformKeys.keys()]).toEqual(['PUB_KEY_ID_0114232134912410000000000001']);
    expect(config.publicKeyId).toBe('PUB_KEY_ID_0114232134912410000000000001');
    expect(config).toMatchObject({ appid: 'wxd678efh567hg6787', baseUrl: 'https://api.mch.weixin.qq.com', timeoutMs: 10_000 });
    // 商家转账 is optional: without a scene, compensations are refused for an operator to pay.
    expect(config.transferSceneId).toBeUndefined();
    expect(wechatPayConfig({ ...complete, WECHATPAY_TRANSFER_SCENE_ID: '1011' })).toMatchObject({ config: { transferSceneId: '1011' } });
  });

  test('platform certificates (old mode) are keyed by their serial, alone or beside the public key while switching', () => {
    const certificates = { ...complete, WECHATPAY_PUBLIC_KEY_ID: '', WECHATPAY_PUBLIC_KEY: '', WECHATPAY_PLATFORM_CERTS: FIXTURE_PLATFORM_CERTIFICATE };
    const alone = wechatPayConfig(certificates);
    expect('config' in alone && [...alone.config!.platformKeys.keys()]).toEqual([FIXTURE_PLATFORM_CERTIFICATE_SERIAL]);
    expect('config' in alone && alone.config!.publicKeyId).toBeUndefined();
    const both = wechatPayConfig({ ...complete, WECHATPAY_PLATFORM_CERTS: FIXTURE_PLATFORM_CERTIFICATE });
    expect('config' in both && [...both.config!.platformKeys.keys()].sort()).toEqual([
      FIXTURE_PLATFORM_CERTIFICATE_SERIAL,
      'PUB_KEY_ID_0114232134912410000000000001',
    ]);
    expect(problemsOf(certificates, new Date('2200-01-01'))).toEqual([
      expect.stringMatching(/^WECHATPAY_PLATFORM_CERTS: the platform certificate 5157F09E\w+ expired/),
    ]);
  });

  test('a partial setup lists every missing variable, by name', () => {
    expect(problemsOf({ WECHATPAY_MCHID: '1900009191' }).map((p) => p.split(':')[0])).toEqual(MISSING_BESIDE_MCHID);
  });

  test('wrong values are named with what is wrong', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const problems = problemsOf({
      ...complete,
      WECHATPAY_MCHID: 'merchant',
      WECHATPAY_PRIVATE_KEY: pem(small.privateKey, 'pkcs8'),
      WECHATPAY_APIV3_KEY_FILE: path.join(dir, 'missing.key'),
      WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_0114',
      WECHATPAY_NOTIFY_URL: 'http://shop.example.com/v1/payments/notifications/wechatpay?from=wx',
      WECHATPAY_BASE_URL: 'ftp://api.mch.weixin.qq.com',
      WECHATPAY_TIMEOUT_MS: '5',
      WECHATPAY_TRANSFER_SCENE_ID: '企业赔付',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^WECHATPAY_MCHID: must be the merchant number/),
      'WECHATPAY_PRIVATE_KEY: set WECHATPAY_PRIVATE_KEY or WECHATPAY_PRIVATE_KEY_FILE, not both',
      expect.stringMatching(/^WECHATPAY_APIV3_KEY_FILE: cannot read .*missing\.key \(ENOENT\)/),
      expect.stringMatching(/^WECHATPAY_PUBLIC_KEY_ID: must be the id of the WeChat Pay public key/),
      expect.stringMatching(/^WECHATPAY_NOTIFY_URL: must be an https URL with no query/),
      expect.stringMatching(/^WECHATPAY_BASE_URL: must be an http\(s\) URL/),
      expect.stringMatching(/^WECHATPAY_TIMEOUT_MS: /),
      expect.stringMatching(/^WECHATPAY_TRANSFER_SCENE_ID: must be the 转账场景ID/),
    ]);
    const { WECHATPAY_PRIVATE_KEY_FILE: _file, ...inline } = complete;
    expect(
      problemsOf({ ...inline, WECHATPAY_PRIVATE_KEY: pem(small.privateKey, 'pkcs8'), WECHATPAY_APIV3_KEY_FILE: '', WECHATPAY_APIV3_KEY: 'short' }),
    ).toEqual([
      'WECHATPAY_PRIVATE_KEY: must be an RSA key of at least 2048 bits',
      'WECHATPAY_APIV3_KEY: must be the 32-character APIv3 key; this one is 5 bytes',
    ]);
    expect(problemsOf({ ...complete, WECHATPAY_PUBLIC_KEY: 'not a key' })).toEqual([expect.stringMatching(/^WECHATPAY_PUBLIC_KEY: is not a PEM key/)]);
    expect(problemsOf({ ...complete, NODE_ENV: 'production', WECHATPAY_BASE_URL: 'http://127.0.0.1:8080' })).toEqual([
      'WECHATPAY_BASE_URL: must be https in production',
    ]);
  });

  test("the service's configuration lists WeChat Pay's problems with the platform's, in one ConfigError", () => {
    let error: unknown;
    try {
      readConfig({ PORT: 'eighty', WECHATPAY_MCHID: '1900009191' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['PORT', ...MISSING_BESIDE_MCHID]);
    expect(readConfig({ ...complete }).providers.wechatPay?.merchant.mchid).toBe('1900009191');
    expect(readConfig({}).providers.wechatPay).toBeUndefined();
  });
});
