import jwt from 'jsonwebtoken';
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Principal } from './principal';

interface Claims {
  sub: string;
  role: 'consumer' | 'operator' | 'factory';
  fid?: string;
}

/** Signed bearer tokens for signed-in users (HS256 with AUTH_SECRET). Stateless: any replica can verify them. */
export class TokenService {
  /** Made once: given a string, jsonwebtoken would try to parse it as a public key on every call. */
  private readonly secret: KeyObject;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(principal: Principal & { userId: string }): { token: string; expiresAt: Date } {
    const claims: Claims = { sub: principal.userId, role: principal.role, ...(principal.role === 'factory' ? { fid: principal.factoryId } : {}) };
    const token = jwt.sign(claims, this.secret, { algorithm: 'HS256', expiresIn: this.ttlSeconds, issuer: 'c2m-presale' });
    return { token, expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) };
  }

  /** The principal a token stands for, or undefined when it is forged, expired or malformed. */
  verify(token: string): Principal | undefined {
    let claims: Claims;
    try {
      claims = jwt.verify(token, this.secret, { algorithms: ['HS256'], issuer: 'c2m-presale' }) as Claims;
    } catch {
      return undefined;
    }
    if (claims.role === 'factory') return claims.fid ? { role: 'factory', factoryId: claims.fid, userId: claims.sub } : undefined;
    if (claims.role === 'consumer' || claims.role === 'operator') return { role: claims.role, userId: claims.sub };
    return undefined;
  }
}
