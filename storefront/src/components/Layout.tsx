import type { ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Link, useLocation } from '../router';
import { useSession } from '../session';
import { useOnline } from './ui';

export function Layout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { session } = useSession();
  const online = useOnline();
  const path = useLocation().split('?')[0];
  const tab = (to: string, label: string, active: boolean) => (
    <Link to={to} className={active ? 'tab active' : 'tab'} aria-current={active ? 'page' : undefined}>
      {label}
    </Link>
  );
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          {t('app.name')}
        </Link>
        <LanguageSwitch />
      </header>
      {!online && (
        <p className="offline" role="status">
          {t('common.offline')}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <nav className="tabbar" aria-label={t('nav.label')}>
        {tab('/', t('nav.home'), path === '/' || path.startsWith('/c/'))}
        {tab('/plans', t('nav.plans'), path.startsWith('/plans') || path.startsWith('/subscriptions'))}
        {tab(session ? '/me' : '/signin?next=/me', t('nav.me'), path.startsWith('/me') || path === '/signin')}
      </nav>
    </>
  );
}

/** 中文 ⇄ English, in the header and on the checkout sheet that covers it. */
export function LanguageSwitch() {
  const { t, language, setLanguage } = useI18n();
  return (
    <button type="button" className="lang" lang={language === 'zh' ? 'en' : 'zh-CN'} onClick={() => setLanguage(language === 'zh' ? 'en' : 'zh')}>
      {t('app.switchLanguage')}
    </button>
  );
}
