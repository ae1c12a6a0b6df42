import { type KeyObject, createDecipheriv, createSign, createVerify, randomBytes } from 'node:crypto';
import { AppError, badRequest } from '../../platform/http/app-error';

/**
 * The cryptography of WeChat Pay API v3, written from its published rules on node:crypto (see
 * docs/payments.md, "WeChat Pay"): our requests signed with the merchant key, WeChat Pay's answers and
 * notifications verified against its platform public key, notification resources decrypted with the
 * APIv3 key, and the JSAPI paySign.
 */

export const SIGNATURE_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** How far a signed answer or notification may be from our clock before it counts as a replay (WeChat Pay's own SDKs use 5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** SHA256withRSA (PKCS #1 v1.5) over the message, base64: every signature of API v3. */
export function sha256WithRsa(privateKey: KeyObject, message: string): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey, 'base64');
}

/** A random string for `nonce_str`/`nonceStr`: 32 characters of [0-9A-Z], as WeChat Pay's own examples look. */
export function nonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export interface MerchantIdentity {
  mchid: string;
  /** The serial number of the merchant API certificate (商户API证书序列号): tells WeChat Pay which of our keys signed. */
  serial: string;
  privateKey: KeyObject;
}

/**
 * The `Authorization` header of one request: five lines, each ending in \n (the last too), of the method,
 * the path with its query, the unix time, a nonce and the exact body sent ("" for a GET), signed.
 */
export function authorization(
  merchant: MerchantIdentity,
  request: { method: string; pathAndQuery: string; body: string; timestamp: number; nonce: string },
): string {
  const message = `${request.method}\n${request.pathAndQuery}\n${request.timestamp}\n${request.nonce}\n${request.body}\n`;
  const signature = sha256WithRsa(merchant.privateKey, message);
  return `${SIGNATURE_SCHEME} mchid="${merchant.mchid}",nonce_str="${request.nonce}",signature="${signature}",timestamp="${request.timestamp}",serial_no="${merchant.serial}"`;
}

/**
 * WeChat Pay's public keys by the id it names in `Wechatpay-Serial`: the 微信支付公钥 by its
 * `PUB_KEY_ID_…`, and platform certificates by their serial number. While a merchant moves from one to
 * the other, both are in the map (notifications switch over gradually).
 */
export type PlatformKeys = ReadonlyMap<string, KeyObject>;

/** Why a signed answer or notification was not accepted; `stale` when the signature is genuine-looking but too old or too new. */
export class SignatureRejected extends Error {
  override name = 'SignatureRejected';
  constructor(
    message: string,
    readonly stale = false,
  ) {
    super(message);
  }
}

/**
 * Verifies WeChat Pay's signature over `timestamp\nnonce\nbody\n` (the raw body, as received) with the
 * key `Wechatpay-Serial` names, and that it was made within 5 minutes of `now`. WeChat Pay's probes
 * (a signature beginning `WECHATPAY/SIGNTEST/`, sent to check that merchants verify) are refused.
 */
export function verifyWechatpaySignature(headers: Record<string, string | undefined>, body: Buffer, keys: PlatformKeys, now: Date): void {
  const timestamp = headers['wechatpay-timestamp'] ?? '';
  const nonceValue = headers['wechatpay-nonce'] ?? '';
  const signature = headers['wechatpay-signature'] ?? '';
  const serial = headers['wechatpay-serial'] ?? '';
  const type = headers['wechatpay-signature-type'];
  if (!/^\d{1,12}$/.test(timestamp) || !nonceValue || !signature || !serial)
    throw new SignatureRejected('it is not signed (Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature and Wechatpay-Serial are required)');
  if (type !== undefined && type !== SIGNATURE_SCHEME) throw new SignatureRejected(`its signature type ${type} is not ${SIGNATURE_SCHEME}`);
  if (signature.startsWith('WECHATPAY/SIGNTEST/'))
    throw new SignatureRejected('it is a WeChat Pay signature probe (WECHATPAY/SIGNTEST), never a genuine message');
  const key = keys.get(serial);
  if (!key)
    throw new SignatureRejected(`it is signed with a WeChat Pay key we do not have (Wechatpay-Serial ${serial}); add that public key or platform certificate`);
  const message = Buffer.concat([Buffer.from(`${timestamp}\n${nonceValue}\n`), body, Buffer.from('\n')]);
  if (!createVerify('RSA-SHA256').update(message).verify(key, signature, 'base64')) throw new SignatureRejected('its signature does not match');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS)
    throw new SignatureRejected(`it was signed more than ${SIGNATURE_TOLERANCE_SECONDS} seconds from now; it may be a replay`, true);
}

/** A notification's verification failure as the API answers it: 401 invalid_signature, or stale_notification. */
export function notificationRejected(error: SignatureRejected): AppError {
  return new AppError(401, error.stale ? 'stale_notification' : 'invalid_signature', `The WeChat Pay notification is refused: ${error.message}.`);
}

/** The encrypted `resource` of a notification. */
export interface EncryptedResource {
  algorithm: string;
  ciphertext: string;
  nonce: string;
  associated_data?: string;
}

/**
 * AEAD_AES_256_GCM (RFC 5116): the key is the 32-byte APIv3 key, the IV the resource's 12-character
 * nonce, the additional data its `associated_data` (possibly empty), and the last 16 bytes of the
 * base64-decoded ciphertext are the tag. A wrong key or a tampered resource fails the tag check.
 */
export function decryptResource(apiV3Key: Buffer, resource: EncryptedResource): string {
  if (resource.algorithm !== 'AEAD_AES_256_GCM')
    throw badRequest('validation_failed', `The notification's resource uses ${resource.algorithm}, not AEAD_AES_256_GCM.`);
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length <= 16) throw badRequest('validation_failed', "The notification's resource ciphertext is too short.");
  try {
    const decipher = createDecipheriv('aes-256-gcm', apiV3Key, Buffer.from(resource.nonce, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw badRequest('validation_failed', "The notification's resource cannot be decrypted with our APIv3 key (a wrong key, or the resource was altered).");
  }
}

/** The parameters WeixinJSBridge's getBrandWCPayRequest takes inside WeChat: paySign is SHA256withRSA of `appId\ntimeStamp\nnonceStr\npackage\n`. */
export function jsapiParameters(merchant: MerchantIdentity, appId: string, prepayId: string, timestamp: number, nonceStr: string) {
  const pkg = `prepay_id=${prepayId}`;
  const timeStamp = String(timestamp);
  return {
    appId,
    timeStamp,
    nonceStr,
    package: pkg,
    signType: 'RSA' as const,
    paySign: sha256WithRsa(merchant.privateKey, `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`),
  };
}
