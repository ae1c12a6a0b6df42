import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Principal } from './principal';

interface Claims {
  sub: string;
  /** The session the token belongs to: the token is honoured only while that session lasts. */
  sid: string;
  role: 'consumer' | 'operator' | 'factory';
  fid?: string;
}

/** A signed-in user as a token names them: who, in which role, and in which session. */
export type UserPrincipal = Exclude<Principal, { apiKeyId: string }> & { sessionId: string };

/**
 * Signed bearer tokens for signed-in users (HS256 with AUTH_SECRET), verifiable by any replica. A valid
 * signature is not enough on its own: the accounts module also checks that the token's session lasts.
 * Lifetimes are real time, like the token's `exp`, not the business clock.
 */
export class TokenService {
  /** Made once: given a string, jsonwebtoken would try to parse it as a public key on every call. */
  private readonly secret: KeyObject;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(principal: UserPrincipal): { token: string; expiresAt: Date } {
    const claims: Claims = {
      sub: principal.userId,
      sid: principal.sessionId,
      role: principal.role,
      ...(principal.role === 'factory' ? { fid: principal.factoryId } : {}),
    };
    const token = jwt.sign(claims, this.secret, { algorithm: 'HS256', expiresIn: this.ttlSeconds, issuer: 'c2m-presale' });
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** The principal a token stands for, or undefined when it is forged, expired, malformed or has no session (made before sessions existed). */
  verify(token: string): UserPrincipal | undefined {
    let claims: Claims;
    try {
      claims = jwt.verify(token, this.secret, { algorithms: ['HS256'], issuer: 'c2m-presale' }) as Claims;
    } catch {
      return undefined;
    }
    if (typeof claims.sid !== 'string' || typeof claims.sub !== 'string') return undefined;
    if (claims.role === 'factory') return claims.fid ? { role: 'factory', factoryId: claims.fid, userId: claims.sub, sessionId: claims.sid } : undefined;
    if (claims.role === 'consumer' || claims.role === 'operator') return { role: claims.role, userId: claims.sub, sessionId: claims.sid };
    return undefined;
  }
}
