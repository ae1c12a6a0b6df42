import { Component, lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { I18nContext, loadDictionary, rememberLanguage, translator, useI18n, type Dictionary, type Language, type Words } from './i18n';
import { CampaignPage } from './pages/Campaign';
import { HomePage } from './pages/Home';
import { Link, matchRoute, useLocation, type Route } from './router';
import { SessionProvider, useSession } from './session';
import { rememberShopCode, reportVisit, sendBinding, shopCodeIn } from './lib/share-links';

// The campaign page and home are in the first load; every other page is a chunk of its own, fetched when opened.
const SignInPage = lazy(() => import('./pages/SignIn').then((m) => ({ default: m.SignInPage })));
const MePage = lazy(() => import('./pages/Me'));
const PledgePage = lazy(() => import('./pages/Pledge'));
const PayPage = lazy(() => import('./pages/Pay'));
const PlansPage = lazy(() => import('./pages/Plans'));
const SubscribePage = lazy(() => import('./pages/Subscribe'));
const SubscriptionPage = lazy(() => import('./pages/Subscription'));
const ShopPage = lazy(() => import('./pages/Shop'));
const ShopCenterPage = lazy(() => import('./pages/ShopCenter'));
const ShopOrdersPage = lazy(() => import('./pages/ShopOrders'));
const ShopTrialsPage = lazy(() => import('./pages/ShopTrials'));
const ShopMarksPage = lazy(() => import('./pages/ShopMarks'));

export function App({ initialLanguage, initialDictionary }: { initialLanguage: Language; initialDictionary: Words<Dictionary> }) {
  const [state, setState] = useState({ language: initialLanguage, dictionary: initialDictionary });
  const setLanguage = useCallback((language: Language) => {
    void loadDictionary(language).then((dictionary) => {
      rememberLanguage(language);
      setState({ language, dictionary });
    });
  }, []);
  const i18n = useMemo(() => ({ language: state.language, t: translator(state.dictionary), setLanguage }), [state, setLanguage]);
  return (
    <I18nContext.Provider value={i18n}>
      <SessionProvider>
        <Layout>
          <Screen />
        </Layout>
      </SessionProvider>
    </I18nContext.Provider>
  );
}

function Screen() {
  const location = useLocation();
  const [path, search] = location.split('?');
  const route = matchRoute(path, search ? `?${search}` : '');
  const { t } = useI18n();
  useEffect(() => {
    // A campaign and a shop page title themselves with their own names.
    if (route.name !== 'campaign' && route.name !== 'shop') document.title = t(`titles.${route.name}`) + ' · ' + t('app.name');
  }, [route.name, t]);
  // Keyed by the path: a page that failed gives way to the next one the buyer opens.
  return (
    <ErrorBoundary key={path}>
      <ShareLinks route={route} search={search ?? ''} />
      <Suspense fallback={<Loading />}>
        <RouteView route={route} />
      </Suspense>
    </ErrorBoundary>
  );
}

/**
 * A page opened through a shop owner's link (`?s=CODE`, or the shop page `/s/CODE`): the code is remembered,
 * the visit reported (shop page and campaign pages), and once the buyer is signed in — now or later — the
 * code is sent as their binding, once (docs/shop-owners.md).
 */
function ShareLinks({ route, search }: { route: Route; search: string }) {
  const { session, api } = useSession();
  const code = route.name === 'shop' ? route.code : shopCodeIn(search);
  const campaignId = route.name === 'campaign' ? route.id : undefined;
  useEffect(() => {
    if (!code) return;
    rememberShopCode(code);
    if (route.name === 'shop' || campaignId) reportVisit(api, code, campaignId);
  }, [code, campaignId, route.name, api]);
  useEffect(() => {
    if (session) void sendBinding(api);
  }, [session, code, api]);
  return null;
}

function RouteView({ route }: { route: Route }) {
  switch (route.name) {
    case 'home':
      return <HomePage />;
    case 'campaign':
      return <CampaignPage key={route.id} id={route.id} />;
    case 'signin':
      return <SignInPage next={route.next} />;
    case 'me':
      return <MePage />;
    case 'pledge':
      return <PledgePage key={route.id} id={route.id} />;
    case 'pay':
      return <PayPage key={route.paymentId} paymentId={route.paymentId} />;
    case 'plans':
      return <PlansPage />;
    case 'subscribe':
      return <SubscribePage key={route.planId} planId={route.planId} />;
    case 'subscription':
      return <SubscriptionPage key={route.id} id={route.id} />;
    case 'shop':
      return <ShopPage key={route.code} code={route.code} />;
    case 'shopCenter':
      return <ShopCenterPage />;
    case 'shopOrders':
      return <ShopOrdersPage />;
    case 'shopTrials':
      return <ShopTrialsPage />;
    case 'shopMarks':
      return <ShopMarksPage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  const { t } = useI18n();
  return (
    <section className="page">
      <h1>{t('common.pageNotFound')}</h1>
      <p>
        <Link to="/">{t('common.backHome')}</Link>
      </p>
    </section>
  );
}

/** A page that throws (or a chunk that failed to load on a bad connection) shows a way out, not a blank screen. */
class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  render() {
    return this.state.failed ? <Crashed /> : this.props.children;
  }
}

function Crashed() {
  const { t } = useI18n();
  return (
    <div className="state state-error" role="alert">
      <p>{t('errors.crashed')}</p>
      <button type="button" className="button secondary" onClick={() => location.reload()}>
        {t('common.reload')}
      </button>
    </div>
  );
}
