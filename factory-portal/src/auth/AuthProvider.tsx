import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Api, login } from '../api/client';
import { clearSession, isPortalUser, loadSession, saveSession, type Session } from './session';

/** Why the user is on the sign-in page, told to them there. */
export type Notice = 'expired' | 'signedOut' | null;

interface Auth {
  session: Session | null;
  /** The API with this session's token; null when signed out. */
  api: Api | null;
  notice: Notice;
  /**
   * The user whose session ended on its own (expired or refused), whose page sign-in may return to.
   * Null after signing out: whoever signs in next starts on their own overview.
   */
  endedUserId: string | null;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

/** The account signed in, but it is neither a factory's nor an operator's (a consumer): the portal is for factory staff and the console for operators. */
export class NotAFactoryAccount extends Error {}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [initial] = useState(() => loadSession(new Date()));
  const [session, setSession] = useState<Session | null>(initial.session);
  const [notice, setNotice] = useState<Notice>(initial.expired ? 'expired' : null);
  const [endedUserId, setEndedUserId] = useState<string | null>(initial.endedUserId);

  // Cached answers belong to the user who fetched them: another user signing in on this browser must never see them.
  const end = useCallback(
    (why: Exclude<Notice, null>, userId: string | null) => {
      clearSession();
      queryClient.clear();
      setSession(null);
      setNotice(why);
      setEndedUserId(why === 'expired' ? userId : null);
    },
    [queryClient],
  );

  const signIn = useCallback(
    async (email: string, password: string) => {
      const answer = await login(email, password);
      if (!isPortalUser(answer.user)) throw new NotAFactoryAccount();
      const next: Session = { token: answer.token, expiresAt: answer.expiresAt, user: answer.user };
      saveSession(next);
      queryClient.clear();
      setSession(next);
      setNotice(null);
    },
    [queryClient],
  );

  const api = useMemo(() => (session ? new Api(session.token, () => end('expired', session.user.id)) : null), [session, end]);
  // The browser forgets the session whatever the server answers (offline, already ended).
  const signOut = useCallback(async () => {
    await api?.signOut().catch(() => undefined);
    end('signedOut', null);
  }, [api, end]);
  const value = useMemo<Auth>(() => ({ session, api, notice, endedUserId, signIn, signOut }), [session, api, notice, endedUserId, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

/** The signed-in session and its API, for pages that are only reached signed in. */
export function useSignedIn(): { session: Session; api: Api } {
  const { session, api } = useAuth();
  if (!session || !api) throw new Error('useSignedIn while signed out');
  return { session, api };
}
