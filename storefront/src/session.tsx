import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, call, type CallOptions } from './api/client';
import type { LoginResponse, User } from './api/types';
import { useI18n } from './i18n';

/** A signed-in buyer, kept in localStorage so a reload or a link opened later stays signed in until the token expires. */
export interface Session {
  token: string;
  expiresAt: string;
  user: User;
}

const KEY = 'c2m-store.session';

function load(): Session | null {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Session> | null;
    if (stored && typeof stored.token === 'string' && typeof stored.expiresAt === 'string' && new Date(stored.expiresAt).getTime() > Date.now() && stored.user)
      return stored as Session;
  } catch {
    // Unreadable: signed out.
  }
  localStorage.removeItem(KEY);
  return null;
}

export type Api = <T>(method: string, path: string, options?: Omit<CallOptions, 'language' | 'token'>) => Promise<T>;

interface SessionState {
  session: Session | null;
  /** The /v1 API with this buyer's token (if any) and language. */
  api: Api;
  signedIn(answer: LoginResponse): void;
  signOut(): Promise<void>;
  /** Set when a call answered 401: the session ended, the buyer signs in again. */
  expired: boolean;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const { language } = useI18n();
  const [session, setSession] = useState<Session | null>(load);
  const [expired, setExpired] = useState(false);
  const current = useRef(session);
  current.current = session;

  const end = useCallback(() => {
    localStorage.removeItem(KEY);
    setSession(null);
  }, []);

  const api = useCallback<Api>(
    async (method, path, options = {}) => {
      const token = current.current?.token;
      try {
        return await call(method, path, { ...options, token, language });
      } catch (error) {
        // A token refused (expired, signed out elsewhere) ends this session; the page asks to sign in again.
        if (token && error instanceof ApiError && error.status === 401) {
          end();
          setExpired(true);
        }
        throw error;
      }
    },
    [language, end],
  );

  const signedIn = useCallback((answer: LoginResponse) => {
    const next = { token: answer.token, expiresAt: answer.expiresAt, user: answer.user };
    localStorage.setItem(KEY, JSON.stringify(next));
    setExpired(false);
    setSession(next);
  }, []);

  const signOut = useCallback(async () => {
    const token = current.current?.token;
    end();
    // The server ends the token too; the browser forgets it whatever the server answers.
    if (token) await call('POST', '/v1/auth/logout', { token, language }).catch(() => undefined);
  }, [end, language]);

  // Another tab signed in or out: follow it.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === KEY) setSession(load());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const value = useMemo(() => ({ session, api, signedIn, signOut, expired }), [session, api, signedIn, signOut, expired]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}
