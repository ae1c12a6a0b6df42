import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useSignedIn, useAuth } from '../auth/AuthProvider';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { LanguageSwitch } from '../components/LanguageSwitch';

/** The console's areas in the order an operator reads them (docs/operator-console.md). */
const AREAS = [
  { to: '/console', key: 'home', end: true },
  { to: '/console/campaigns', key: 'campaigns', end: false },
  { to: '/console/factories', key: 'factories', end: false },
  { to: '/console/money', key: 'money', end: false },
  { to: '/console/jobs', key: 'jobs', end: false },
  { to: '/console/fruit', key: 'fruit', end: false },
  { to: '/console/audit', key: 'audit', end: false },
] as const;

/** The frame of every console screen: the operator signed in, the console's navigation, language and sign-out. */
export function ConsoleLayout() {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const { session } = useSignedIn();
  const location = useLocation();
  useEffect(() => {
    document.title = t('console.frame.documentTitle');
  }, [t]);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="app-header console-header">
        <div className="brand">
          <span className="brand-name">{t('console.frame.title')}</span>
          <span className="brand-factory" data-testid="operator-name">
            {session.user.displayName}
          </span>
        </div>
        <nav aria-label={t('console.frame.navLabel')}>
          <ul>
            {AREAS.map((area) => (
              <li key={area.to}>
                <NavLink to={area.to} end={area.end}>
                  {t(`console.frame.${area.key}`)}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="header-actions">
          <LanguageSwitch />
          <button type="button" onClick={() => void signOut()}>
            {t('app.signOut')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {/* Keyed by the path: after a rendering error, moving to another screen starts afresh. */}
        <ErrorBoundary key={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </>
  );
}
