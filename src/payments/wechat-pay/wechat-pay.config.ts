import { type KeyObject, X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MerchantIdentity, PlatformKeys } from './wechat-pay-crypto';

/** WeChat Pay API v3, as this merchant is set up with it (docs/payments.md, "WeChat Pay"). */
export interface WechatPayConfig {
  /** The merchant number (商户号), its API certificate's serial and private key (apiclient_key.pem). */
  merchant: MerchantIdentity;
  /** The AppID (公众号 or 小程序) the payments are made under: JSAPI payers' openids belong to it. */
  appid: string;
  /** The APIv3 key (32 bytes): it decrypts notifications. */
  apiV3Key: Buffer;
  /** WeChat Pay's public keys by the id its signatures name (see PlatformKeys). */
  platformKeys: PlatformKeys;
  /**
   * The 微信支付公钥's id, when there is one: sent as `Wechatpay-Serial` on our requests so that the
   * answers are signed with that key rather than a platform certificate.
   */
  publicKeyId: string | undefined;
  /** Where WeChat Pay sends notifications: https, no query; our POST /v1/payments/notifications/wechatpay. */
  notifyUrl: string;
  /** https://api.mch.weixin.qq.com, or a stand-in (tests). No trailing slash. */
  baseUrl: string;
  /** How long one call to WeChat Pay may take before it counts as unanswered. */
  timeoutMs: number;
  /** The 商家转账 scene (转账场景ID) granted to the merchant, for compensations paid to payers; unset: none are paid. */
  transferSceneId: string | undefined;
}

export const WECHATPAY_NOTIFY_PATH = '/v1/payments/notifications/wechatpay';
const DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com';
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Reads WeChat Pay's settings from the environment. None set: WeChat Pay is off (`config` undefined;
 * the sandbox is the only gateway). Some set: every one needed must be there and right, else `problems`
 * lists each, by variable, so the service refuses to start rather than take money it cannot verify.
 * A key or secret comes as text in VAR or as a file path in VAR_FILE, never both.
 */
export function wechatPayConfig(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  now: Date = new Date(),
): { config: WechatPayConfig | undefined } | { problems: string[] } {
  // An empty variable means "not set", as in the rest of the configuration.
  const value = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  if (!Object.keys(env).some((name) => name.startsWith('WECHATPAY_') && value(name) !== undefined)) return { config: undefined };
  const problems: string[] = [];
  const problem = (name: string, message: string): undefined => void problems.push(`${name}: ${message}`);

  /** VAR or VAR_FILE: the text, undefined when neither is set (or the one set is unusable; then a problem says why). */
  const secret = (name: string): string | undefined => {
    const text = value(name);
    const file = value(`${name}_FILE`);
    if (text !== undefined && file !== undefined) return problem(name, `set ${name} or ${name}_FILE, not both`);
    if (file === undefined) return text;
    try {
      return readFile(file);
    } catch (error) {
      return problem(`${name}_FILE`, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  const required = (name: string, text: string | undefined, what: string): string | undefined =>
    text === undefined && !problems.some((p) => p.startsWith(name)) ? problem(name, `is required with WeChat Pay on: ${what}`) : text;

  const mchid = required('WECHATPAY_MCHID', value('WECHATPAY_MCHID'), 'the merchant number (商户号)');
  if (mchid !== undefined && !/^\d{6,32}$/.test(mchid)) problem('WECHATPAY_MCHID', 'must be the merchant number (商户号), digits such as 1900009191');
  const appid = required('WECHATPAY_APPID', value('WECHATPAY_APPID'), 'the AppID of the official account or mini program the merchant is bound to');
  if (appid !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(appid)) problem('WECHATPAY_APPID', 'must be a WeChat AppID such as wxd678efh567hg6787');
  const serial = required(
    'WECHATPAY_MERCHANT_SERIAL',
    value('WECHATPAY_MERCHANT_SERIAL'),
    'the serial number of the merchant API certificate (商户API证书序列号)',
  );
  if (serial !== undefined && !/^[0-9A-Fa-f]{8,64}$/.test(serial))
    problem('WECHATPAY_MERCHANT_SERIAL', 'must be the merchant API certificate serial number in hex, such as 1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C');

  const privateKeyPem = required(
    'WECHATPAY_PRIVATE_KEY',
    secret('WECHATPAY_PRIVATE_KEY'),
    'the merchant API private key (apiclient_key.pem), as PEM text or in WECHATPAY_PRIVATE_KEY_FILE',
  );
  const privateKey = privateKeyPem === undefined ? undefined : rsaKey('WECHATPAY_PRIVATE_KEY', () => createPrivateKey(privateKeyPem), problem);

  const apiV3KeyText = required(
    'WECHATPAY_APIV3_KEY',
    secret('WECHATPAY_APIV3_KEY'),
    'the APIv3 key set in the merchant platform (API安全), as text or in WECHATPAY_APIV3_KEY_FILE',
  );
  // A key file usually ends in a newline that is not part of the key.
  const apiV3Key = apiV3KeyText === undefined ? undefined : Buffer.from(apiV3KeyText.replace(/\r?\n$/, ''), 'utf8');
  if (apiV3Key !== undefined && apiV3Key.length !== 32)
    problem('WECHATPAY_APIV3_KEY', `must be the 32-character APIv3 key; this one is ${apiV3Key.length} bytes`);

  const platformKeys = new Map<string, KeyObject>();
  const publicKeyId = value('WECHATPAY_PUBLIC_KEY_ID');
  const publicKeyPem = secret('WECHATPAY_PUBLIC_KEY');
  if ((publicKeyId === undefined) !== (publicKeyPem === undefined) && !problems.some((p) => p.startsWith('WECHATPAY_PUBLIC_KEY')))
    problem(
      publicKeyId === undefined ? 'WECHATPAY_PUBLIC_KEY_ID' : 'WECHATPAY_PUBLIC_KEY',
      'set both WECHATPAY_PUBLIC_KEY_ID (PUB_KEY_ID_…) and WECHATPAY_PUBLIC_KEY(_FILE) (微信支付公钥, pub_key.pem), or neither',
    );
  if (publicKeyId !== undefined && !/^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$/.test(publicKeyId))
    problem('WECHATPAY_PUBLIC_KEY_ID', 'must be the id of the WeChat Pay public key, such as PUB_KEY_ID_0114232134912410000000000001');
  if (publicKeyId !== undefined && publicKeyPem !== undefined) {
    const key = rsaKey('WECHATPAY_PUBLIC_KEY', () => createPublicKey(publicKeyPem), problem);
    if (key) platformKeys.set(publicKeyId, key);
  }
  const certificatesPem = secret('WECHATPAY_PLATFORM_CERTS');
  if (certificatesPem !== undefined) {
    const blocks = certificatesPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) problem('WECHATPAY_PLATFORM_CERTS', 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
    for (const block of blocks) {
      let certificate: X509Certificate;
      try {
        certificate = new X509Certificate(block);
      } catch {
        problem('WECHATPAY_PLATFORM_CERTS', 'holds a certificate that cannot be read');
        continue;
      }
      if (new Date(certificate.validTo) < now)
        problem(
          'WECHATPAY_PLATFORM_CERTS',
          `the platform certificate ${certificate.serialNumber} expired on ${certificate.validTo}: download the current one (GET /v3/certificates)`,
        );
      else if (rsaKey('WECHATPAY_PLATFORM_CERTS', () => certificate.publicKey, problem))
        platformKeys.set(certificate.serialNumber.toUpperCase(), certificate.publicKey);
    }
  }
  if (platformKeys.size === 0 && !problems.some((p) => /^WECHATPAY_(PUBLIC_KEY|PLATFORM_CERTS)/.test(p)))
    problem(
      'WECHATPAY_PUBLIC_KEY',
      "is required with WeChat Pay on: WeChat Pay's key to verify its answers and notifications, the 微信支付公钥 (WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY(_FILE)) or the platform certificates (WECHATPAY_PLATFORM_CERTS(_FILE))",
    );

  const notifyUrl = required(
    'WECHATPAY_NOTIFY_URL',
    value('WECHATPAY_NOTIFY_URL'),
    `where WeChat Pay sends notifications, https://<our host>${WECHATPAY_NOTIFY_PATH}`,
  );
  if (notifyUrl !== undefined) {
    const url = URL.parse(notifyUrl);
    if (!url || url.protocol !== 'https:' || url.search || url.hash || url.username || url.password || !url.pathname.endsWith(WECHATPAY_NOTIFY_PATH))
      problem('WECHATPAY_NOTIFY_URL', `must be an https URL with no query, ending in ${WECHATPAY_NOTIFY_PATH} (WeChat Pay calls it); not ${notifyUrl}`);
  }
  const baseUrl = (value('WECHATPAY_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const base = URL.parse(baseUrl);
  if (!base || !['http:', 'https:'].includes(base.protocol) || base.search || base.hash)
    problem('WECHATPAY_BASE_URL', `must be an http(s) URL such as ${DEFAULT_BASE_URL}; not ${baseUrl}`);
  else if (base.protocol !== 'https:' && env.NODE_ENV === 'production') problem('WECHATPAY_BASE_URL', 'must be https in production');
  const timeoutText = value('WECHATPAY_TIMEOUT_MS');
  const timeoutMs = timeoutText === undefined ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000)
    problem('WECHATPAY_TIMEOUT_MS', 'must be a whole number of milliseconds from 100 to 120000');

  const transferSceneId = value('WECHATPAY_TRANSFER_SCENE_ID');
  if (transferSceneId !== undefined && !/^\d{4,16}$/.test(transferSceneId))
    problem('WECHATPAY_TRANSFER_SCENE_ID', 'must be the 转账场景ID granted under 商家转账, digits such as 1011');

  if (problems.length > 0) return { problems };
  return {
    config: {
      merchant: { mchid: mchid!, serial: serial!.toUpperCase(), privateKey: privateKey! },
      appid: appid!,
      apiV3Key: apiV3Key!,
      platformKeys,
      publicKeyId,
      notifyUrl: notifyUrl!,
      baseUrl,
      timeoutMs,
      transferSceneId,
    },
  };
}

/** An RSA key of at least 2048 bits, as WECHATPAY2-SHA256-RSA2048 needs; undefined (and a problem) otherwise. */
function rsaKey(name: string, read: () => KeyObject, problem: (name: string, message: string) => undefined): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = read();
  } catch {
    return problem(name, 'is not a PEM key that can be read (-----BEGIN PRIVATE KEY----- / -----BEGIN PUBLIC KEY-----)');
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
    return problem(name, 'must be an RSA key of at least 2048 bits');
  return key;
}
