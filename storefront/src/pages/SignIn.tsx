import { useEffect, useId, useState, type FormEvent } from 'react';
import { ApiError, call } from '../api/client';
import { errorText } from '../api/errors';
import type { LoginResponse, PhoneCodeAnswer } from '../api/types';
import { Message } from '../components/ui';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { useSession } from '../session';

/**
 * Sign in or sign up in one form, used in a sheet on the campaign page (the buyer never leaves it) and on
 * /signin. Phone number + one-time code first, as Chinese buyers expect; email + password as the other way.
 */
export default function SignInForm({ next }: { next?: string }) {
  const { t } = useI18n();
  const [way, setWay] = useState<'phone' | 'email'>('phone');
  return (
    <div className="signin">
      <div className="segmented" role="tablist" aria-label={t('signIn.ways')}>
        <button type="button" role="tab" aria-selected={way === 'phone'} className={way === 'phone' ? 'seg active' : 'seg'} onClick={() => setWay('phone')}>
          {t('signIn.byPhone')}
        </button>
        <button type="button" role="tab" aria-selected={way === 'email'} className={way === 'email' ? 'seg active' : 'seg'} onClick={() => setWay('email')}>
          {t('signIn.byEmail')}
        </button>
      </div>
      <div role="tabpanel">{way === 'phone' ? <PhoneForm next={next} /> : <EmailForm next={next} />}</div>
    </div>
  );
}

/** What both forms share: one request at a time, a refusal in the buyer's words, and signing in with the answer. */
function useSignIn(next: string | undefined) {
  const { t, language } = useI18n();
  const { signedIn } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signIn(path: string, body: object) {
    setError(null);
    setBusy(true);
    try {
      const answer = await call<LoginResponse>('POST', path, { language, body });
      // Pledges and boxes are a consumer's: a factory's or an operator's account has no place here.
      if (answer.user.role !== 'consumer') return setError(t('signIn.notConsumer'));
      signedIn(answer);
      if (next) navigate(next, { replace: true });
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  }
  return { busy, setBusy, error, setError, signIn };
}

function PhoneForm({ next }: { next?: string }) {
  const { t, language } = useI18n();
  const { busy, setBusy, error, setError, signIn } = useSignIn(next);
  const id = useId();
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState<PhoneCodeAnswer | null>(null);
  const [wait, setWait] = useState(0);

  useEffect(() => {
    if (wait <= 0) return;
    const timer = setTimeout(() => setWait((w) => w - 1), 1000);
    return () => clearTimeout(timer);
  }, [wait]);

  async function sendCode() {
    setError(null);
    if (!/^[+\d][\d\s-]{6,}$/.test(phone.trim())) {
      setError(t('signIn.phoneInvalid'));
      return;
    }
    setBusy(true);
    try {
      const answer = await call<PhoneCodeAnswer>('POST', '/v1/auth/phone/code', { language, body: { phone: phone.trim() } });
      setSent(answer);
      setWait(answer.resendAfterSeconds);
      document.getElementById(`${id}-code`)?.focus();
    } catch (e) {
      // The one field of this request: its refusal is about the number.
      setError(e instanceof ApiError && e.code === 'validation_failed' ? t('signIn.phoneInvalid') : errorText(e, t));
      if (e instanceof ApiError && e.code === 'sms_rate_limited' && e.retryAfterSeconds) setWait(e.retryAfterSeconds);
    } finally {
      setBusy(false);
    }
  }

  async function verify(event: FormEvent) {
    event.preventDefault();
    if (!sent) return void sendCode();
    await signIn('/v1/auth/phone/verify', { phone: phone.trim(), code: code.trim() });
  }

  return (
    <form onSubmit={(e) => void verify(e)} noValidate>
      <label className="field" htmlFor={`${id}-phone`}>
        <span>{t('signIn.phone')}</span>
        <input
          id={`${id}-phone`}
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          placeholder="138 1234 5678"
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
        />
      </label>
      <div className="code-row">
        <label className="field" htmlFor={`${id}-code`}>
          <span>{t('signIn.code')}</span>
          <input
            id={`${id}-code`}
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ''))}
          />
        </label>
        <button type="button" className="button secondary" onClick={() => void sendCode()} disabled={busy || wait > 0}>
          {wait > 0 ? t('signIn.resendIn', { seconds: wait }) : sent ? t('signIn.resend') : t('signIn.sendCode')}
        </button>
      </div>
      {sent && (
        <Message kind="info">
          {t('signIn.codeSent', { phone: sent.phone, minutes: Math.round(sent.expiresInSeconds / 60) })}
          {sent.sandboxCode && <> {t('signIn.sandboxCode', { code: sent.sandboxCode })}</>}
        </Message>
      )}
      {error && <Message kind="error">{error}</Message>}
      <button type="submit" className="button primary wide" disabled={busy || (sent !== null && code.length < 4)}>
        {t('signIn.phoneSubmit')}
      </button>
      <p className="hint">{t('signIn.phoneNote')}</p>
    </form>
  );
}

function EmailForm({ next }: { next?: string }) {
  const { t } = useI18n();
  const { busy, error, setError, signIn } = useSignIn(next);
  const id = useId();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (mode === 'register' && password.length < 10) {
      setError(t('signIn.passwordShort'));
      return;
    }
    await signIn(mode === 'login' ? '/v1/auth/login' : '/v1/auth/register', { email: email.trim(), password });
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <label className="field" htmlFor={`${id}-email`}>
        <span>{t('signIn.email')}</span>
        <input id={`${id}-email`} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label className="field" htmlFor={`${id}-password`}>
        <span>{t('signIn.password')}</span>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {mode === 'register' && <p className="hint">{t('signIn.passwordRule')}</p>}
      {error && <Message kind="error">{error}</Message>}
      <button type="submit" className="button primary wide" disabled={busy}>
        {mode === 'login' ? t('signIn.emailSubmit') : t('signIn.registerSubmit')}
      </button>
      <button
        type="button"
        className="link-button"
        onClick={() => {
          setMode(mode === 'login' ? 'register' : 'login');
          setError(null);
        }}
      >
        {mode === 'login' ? t('signIn.toRegister') : t('signIn.toLogin')}
      </button>
    </form>
  );
}

/** The /signin page: the same form, then back to where the buyer was going. */
export function SignInPage({ next }: { next: string }) {
  const { t } = useI18n();
  const { session, expired } = useSession();
  useEffect(() => {
    if (session) navigate(next, { replace: true });
  }, [session, next]);
  return (
    <section className="page narrow">
      <h1>{t('signIn.title')}</h1>
      {expired && <Message kind="info">{t('signIn.expired')}</Message>}
      <SignInForm next={next} />
    </section>
  );
}
