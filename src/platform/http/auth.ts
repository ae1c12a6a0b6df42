import type { RequestHandler } from 'express';
import { unauthenticated } from './app-error';
import type { Principal } from './principal';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `authenticate` when the request carries valid credentials. */
      principal?: Principal;
      /** The JSON body's exact bytes, kept for signature checks (gateway notifications). */
      rawBody?: Buffer;
    }
  }
}

/** Factory API keys look like `c2mk_<id>_<secret>`; anything else in a bearer header is a user token. */
export const API_KEY_PREFIX = 'c2mk_';

/** Turns a presented credential into who it stands for, or undefined when it is not (or no longer) valid. */
export interface CredentialVerifier {
  verify(presented: string): Promise<Principal | undefined>;
}

/**
 * Reads `Authorization: Bearer …` once, for every route. Bad credentials are a 401 even on a public
 * route: a client with a broken token should hear about it rather than be treated as anonymous.
 */
export function authenticate(userTokens: CredentialVerifier, apiKeys: CredentialVerifier): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('Authorization');
    if (header === undefined) return next();
    // The scheme is case-insensitive (RFC 9110 § 11.1): "bearer" and "BEARER" are Bearer.
    const match = /^Bearer ([\x21-\x7e]{1,2048})$/i.exec(header);
    if (!match) return next(unauthenticated('The Authorization header must be "Bearer <token>".'));
    const credential = match[1];
    const principal = await (credential.startsWith(API_KEY_PREFIX) ? apiKeys : userTokens).verify(credential);
    if (!principal) return next(unauthenticated('The token or API key is invalid, revoked or expired. Sign in again.'));
    req.principal = principal;
    next();
  };
}
