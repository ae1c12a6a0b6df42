import type { User } from '../api/types';

/** A signed-in factory user or operator, kept in localStorage so a reload or a new tab stays signed in until the token expires. */
export interface Session {
  token: string;
  expiresAt: string;
  user: User;
}

const KEY = 'c2m-portal.session';

/**
 * The stored session, unless there is none, it cannot be read, or its token has expired; for an expired
 * one, whose it was (so only that user is brought back to where they were).
 */
export function loadSession(now: Date): { session: Session | null; expired: boolean; endedUserId: string | null } {
  const raw = localStorage.getItem(KEY);
  if (raw === null) return { session: null, expired: false, endedUserId: null };
  let stored: Partial<Session>;
  try {
    stored = JSON.parse(raw) as Partial<Session>;
  } catch {
    stored = {};
  }
  const readable = typeof stored.token === 'string' && typeof stored.expiresAt === 'string' && stored.user !== undefined && isPortalUser(stored.user);
  if (!readable || !(new Date(stored.expiresAt!).getTime() > now.getTime())) {
    // Told to the user as an ended session: they sign in again either way.
    localStorage.removeItem(KEY);
    return { session: null, expired: true, endedUserId: typeof stored.user?.id === 'string' ? stored.user.id : null };
  }
  return { session: stored as Session, expired: false, endedUserId: null };
}

/**
 * Who the portal app is for: a factory's staff (their factory's screens) and the platform's operators (the
 * console at /console). Consumers and shop owners have the storefront.
 */
export function isPortalUser(user: Pick<User, 'role' | 'factoryId'>): boolean {
  return (user.role === 'factory' && typeof user.factoryId === 'string') || user.role === 'operator';
}

export const isOperator = (user: Pick<User, 'role'>): boolean => user.role === 'operator';

export function saveSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}
