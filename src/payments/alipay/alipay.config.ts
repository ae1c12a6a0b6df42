import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The Alipay adapter's settings (docs/payments.md § Alipay). */
export interface AlipayConfig {
  /** The application's APPID on the open platform (16 digits). */
  appId: string;
  /** The application private key, as PKCS#8 PEM whatever form it was given in: it signs our requests. */
  privateKey: string;
  /** Alipay's public key (支付宝公钥) as SPKI PEM: it verifies Alipay's replies and notifications. */
  alipayPublicKey: string;
  /** Where Alipay POSTs its notifications: our POST /v1/payments/notifications/alipay, as the public reaches it. */
  notifyUrl: string;
  /** The open API's gateway.do. */
  gatewayUrl: string;
  /** How long one call to Alipay may take; then it counts as unanswered and is retried. */
  timeoutMs: number;
}

export const ALIPAY_GATEWAY_URL = 'https://openapi.alipay.com/gateway.do';
const VARIABLES = [
  'ALIPAY_APP_ID',
  'ALIPAY_PRIVATE_KEY',
  'ALIPAY_PRIVATE_KEY_FILE',
  'ALIPAY_PUBLIC_KEY',
  'ALIPAY_PUBLIC_KEY_FILE',
  'ALIPAY_NOTIFY_URL',
  'ALIPAY_GATEWAY_URL',
  'ALIPAY_TIMEOUT_MS',
];

/**
 * The Alipay settings from the environment. None of the ALIPAY_ variables set: the adapter is off
 * (`config` undefined). Some set: all that are needed must be, and right; else every problem is listed.
 */
export function alipayConfig(env: Record<string, string | undefined>): { config: AlipayConfig | undefined } | { problems: string[] } {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  if (!VARIABLES.some((name) => value(name) !== undefined)) return { config: undefined };
  const problems: string[] = [];
  const appId = value('ALIPAY_APP_ID');
  if (appId === undefined)
    problems.push('ALIPAY_APP_ID: is required with the other ALIPAY_ variables (the APPID of the application on the Alipay open platform)');
  else if (!/^\d{16}$/.test(appId)) problems.push(`ALIPAY_APP_ID: must be the application's APPID, 16 digits such as 2014072300007148; not ${appId}`);

  const privatePem = keyPem(value, 'ALIPAY_PRIVATE_KEY', 'private', 'the application private key (应用私钥)', problems);
  const publicPem = keyPem(value, 'ALIPAY_PUBLIC_KEY', 'public', "Alipay's public key (支付宝公钥, not the application public key)", problems);

  const notifyUrl = value('ALIPAY_NOTIFY_URL');
  if (notifyUrl === undefined)
    problems.push(
      'ALIPAY_NOTIFY_URL: is required with the other ALIPAY_ variables (https://<your host>/v1/payments/notifications/alipay, reachable from the internet)',
    );
  else if (!httpUrl(notifyUrl, env.NODE_ENV === 'production'))
    problems.push(
      `ALIPAY_NOTIFY_URL: must be an absolute ${env.NODE_ENV === 'production' ? 'https' : 'http(s)'} URL without a query (Alipay drops it); not ${notifyUrl}`,
    );
  const gatewayUrl = value('ALIPAY_GATEWAY_URL') ?? ALIPAY_GATEWAY_URL;
  if (!httpUrl(gatewayUrl, env.NODE_ENV === 'production'))
    problems.push(
      `ALIPAY_GATEWAY_URL: must be an absolute ${env.NODE_ENV === 'production' ? 'https' : 'http(s)'} URL such as ${ALIPAY_GATEWAY_URL}; not ${gatewayUrl}`,
    );
  const timeout = value('ALIPAY_TIMEOUT_MS') ?? '10000';
  if (!/^\d{1,6}$/.test(timeout) || Number(timeout) < 100 || Number(timeout) > 120_000)
    problems.push(`ALIPAY_TIMEOUT_MS: must be a number of milliseconds from 100 to 120000; not ${timeout}`);

  if (privatePem && publicPem && createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString() === publicPem)
    problems.push(
      "ALIPAY_PUBLIC_KEY: is the application's own public key (应用公钥); give Alipay's public key (支付宝公钥), shown beside it on the open platform",
    );
  if (problems.length > 0) return { problems };
  return { config: { appId: appId!, privateKey: privatePem!, alipayPublicKey: publicPem!, notifyUrl: notifyUrl!, gatewayUrl, timeoutMs: Number(timeout) } };
}

/** A key given in NAME or as a file in NAME_FILE, as PEM (PKCS#8 for a private key, SPKI for a public one); undefined after a problem. */
function keyPem(value: (name: string) => string | undefined, name: string, kind: 'private' | 'public', what: string, problems: string[]): string | undefined {
  const text = keyText(value, name, what, problems);
  if (text === undefined) return undefined;
  const key = readKey(text, kind);
  if (typeof key === 'string') {
    problems.push(`${name}: ${key}`);
    return undefined;
  }
  return key.export(kind === 'private' ? { type: 'pkcs8', format: 'pem' } : { type: 'spki', format: 'pem' }).toString();
}

/** A key's text, given in NAME or as a file in NAME_FILE (exactly one of them). */
function keyText(value: (name: string) => string | undefined, name: string, what: string, problems: string[]): string | undefined {
  const inline = value(name);
  const file = value(`${name}_FILE`);
  if (inline !== undefined && file !== undefined) {
    problems.push(`${name}: set ${name} or ${name}_FILE, not both`);
    return undefined;
  }
  if (file === undefined) {
    if (inline === undefined) problems.push(`${name}: is required with the other ALIPAY_ variables (${what}, in ${name} or as a file in ${name}_FILE)`);
    return inline;
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
}

/**
 * Reads a key in any form Alipay's key tool or openssl writes: PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8
 * "PRIVATE KEY", "PUBLIC KEY") or the bare base64 the open platform shows and the key tool saves.
 * Answers the key, or what is wrong with it.
 */
function readKey(text: string, kind: 'private' | 'public'): KeyObject | string {
  const trimmed = text.trim();
  // createPublicKey takes a private key too (and derives its public half): a private key here is a mistake.
  if (kind === 'public' && trimmed.includes('PRIVATE KEY')) return "is a private key: give Alipay's public key (支付宝公钥)";
  const der = Buffer.from(trimmed, 'base64');
  const readings: (() => KeyObject)[] = trimmed.startsWith('-----BEGIN')
    ? [() => (kind === 'private' ? createPrivateKey(trimmed) : createPublicKey(trimmed))]
    : kind === 'private'
      ? [() => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), () => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' })]
      : [() => createPublicKey({ key: der, format: 'der', type: 'spki' }), () => createPublicKey({ key: der, format: 'der', type: 'pkcs1' })];
  for (const read of readings) {
    let key: KeyObject;
    try {
      key = read();
    } catch {
      continue;
    }
    if (key.asymmetricKeyType !== 'rsa') return `must be an RSA key (RSA2 is SHA256withRSA); this one is ${key.asymmetricKeyType}`;
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
      return `must be an RSA key of at least 2048 bits (RSA2); this one has ${key.asymmetricKeyDetails?.modulusLength}`;
    return key;
  }
  return kind === 'private'
    ? 'is not an RSA private key: give the PEM text (PKCS#1 or PKCS#8) or the base64 the Alipay key tool saves'
    : "is not an RSA public key: give Alipay's public key as PEM or as the base64 the open platform shows";
}

function httpUrl(text: string, httpsOnly: boolean): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || (!httpsOnly && url.protocol === 'http:')) && !url.search && !url.hash && !url.username;
}
