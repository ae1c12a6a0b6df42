import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../api/client';
import { NotAFactoryAccount, useAuth } from '../auth/AuthProvider';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { errorText } from '../components/StateViews';

export function SignIn() {
  const { t } = useTranslation();
  const { session, notice, endedUserId, signIn } = useAuth();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (session) {
    // Back to where the same user's session ended on its own; anyone else (or after signing out) starts on their own overview.
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && endedUserId === session.user.id ? from : '/'} replace />;
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password);
    } catch (cause) {
      if (cause instanceof NotAFactoryAccount) setError(t('signIn.notFactory'));
      else if (cause instanceof ApiError && cause.status === 401) setError(t('signIn.invalid'));
      else setError(errorText(cause, t));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <div className="sign-in-top">
        <LanguageSwitch />
      </div>
      <form className="sign-in-card" onSubmit={(e) => void submit(e)} noValidate>
        <h1>{t('signIn.title')}</h1>
        <p className="muted">{t('signIn.intro')}</p>
        {notice && (
          <p className="notice" role="status" data-testid="sign-in-notice">
            {t(notice === 'expired' ? 'signIn.expired' : 'signIn.signedOut')}
          </p>
        )}
        <label htmlFor="email">{t('signIn.email')}</label>
        <input id="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        <label htmlFor="password">{t('signIn.password')}</label>
        <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('signIn.submitting') : t('signIn.submit')}
        </button>
      </form>
    </main>
  );
}
