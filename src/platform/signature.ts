import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature scheme of our payment provider's notifications, used for our own webhooks too:
 * HMAC-SHA256 over "<unix seconds>.<raw body>", sent as `t=<seconds>,v1=<hex>`. While a secret is
 * being rotated, one v1 per valid secret is sent, so the receiver can switch over at its own pace.
 */
export function signatureHeader(secrets: readonly string[], body: Buffer, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${hmacHex(secret, t, body)}`)].join(',');
}

/** Whether the header carries a valid signature of `body` by `secret`; the time is returned for the caller's replay window. */
export function verifySignatureHeader(secret: string, header: string, body: Buffer): { valid: boolean; t: number | undefined } {
  const parts = header.split(',');
  const t = /^t=(\d{1,12})$/.exec(parts[0] ?? '')?.[1];
  if (t === undefined) return { valid: false, t: undefined };
  const expected = Buffer.from(hmacHex(secret, Number(t), body), 'hex');
  const valid = parts.slice(1).some((part) => {
    const given = /^v1=([0-9a-f]{64})$/.exec(part)?.[1];
    return given !== undefined && timingSafeEqual(expected, Buffer.from(given, 'hex'));
  });
  return { valid, t: Number(t) };
}

function hmacHex(secret: string, t: number, body: Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}
