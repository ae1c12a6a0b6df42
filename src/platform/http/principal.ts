/**
 * Who is calling. Factory users and factory API keys both act for exactly one factory. A user signed in
 * over HTTP carries the session their token belongs to (services acting for a user directly have none).
 */
export type Principal =
  | { role: 'consumer'; userId: string; sessionId?: string }
  | { role: 'operator'; userId: string; sessionId?: string }
  | { role: 'factory'; factoryId: string; userId: string; sessionId?: string }
  | { role: 'factory'; factoryId: string; apiKeyId: string };

export type Role = Principal['role'];
export const ROLES: readonly Role[] = ['consumer', 'operator', 'factory'];

/** A stable name for the caller, used to scope idempotency keys and in logs. */
export function subjectOf(principal: Principal | undefined): string {
  if (!principal) return 'anonymous';
  return 'apiKeyId' in principal ? `key:${principal.apiKeyId}` : `user:${principal.userId}`;
}

/**
 * The ownership rule for factory data, in one place: operators see every factory, a factory's users
 * and keys see their own, nobody else sees any.
 */
export function canActForFactory(principal: Principal, factoryId: string): boolean {
  return principal.role === 'operator' || (principal.role === 'factory' && principal.factoryId === factoryId);
}
