import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_PREFIX } from '../platform/http/auth';

/**
 * `c2mk_<key id, 32 hex>_<secret, 43 base64url>`. The id finds the row; the secret (256 random bits)
 * is checked against its SHA-256. A fast hash is right here: the secret is random, not a password.
 */
const FORMAT = new RegExp(`^${API_KEY_PREFIX}([0-9a-f]{32})_([A-Za-z0-9_-]{43})$`);

export function newApiKeySecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: hashSecret(secret) };
}

export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id.replaceAll('-', '')}_${secret}`;
}

export function parseApiKey(presented: string): { id: string; secret: string } | undefined {
  const match = FORMAT.exec(presented);
  if (!match) return undefined;
  const hex = match[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret: match[2] };
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(secretHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
