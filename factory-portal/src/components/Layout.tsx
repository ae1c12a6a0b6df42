import { NavLink, Outlet, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useFactory } from '../api/queries';
import { useAuth } from '../auth/AuthProvider';
import { ErrorBoundary } from './ErrorBoundary';
import { LanguageSwitch } from './LanguageSwitch';

/** The frame of every signed-in screen: who is signed in, the navigation, language and sign-out. */
export function Layout() {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const factory = useFactory();
  const location = useLocation();
  const links = [
    { to: '/', label: t('nav.overview'), end: true },
    { to: '/batches', label: t('nav.batches'), end: false },
    { to: '/deliveries', label: t('nav.deliveries'), end: false },
    { to: '/accuracy', label: t('nav.accuracy'), end: false },
    { to: '/settlements', label: t('nav.settlements'), end: false },
    { to: '/concepts', label: t('nav.concepts'), end: false },
    { to: '/marks', label: t('nav.marks'), end: false },
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="app-header">
        <div className="brand">
          <span className="brand-name">{t('app.title')}</span>
          <span className="brand-factory" data-testid="factory-name">
            {factory.data?.name ?? '\u00a0'}
          </span>
        </div>
        <nav aria-label={t('nav.label')}>
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.end}>
                  {link.label}
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
