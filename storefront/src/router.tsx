import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/**
 * A router of forty lines instead of react-router (the portal's, ~20 kB gzipped): the storefront has a
 * dozen flat routes, and the campaign page's first load has a 100 kB budget.
 */
export type Route =
  | { name: 'home' }
  | { name: 'campaign'; id: string }
  | { name: 'signin'; next: string }
  | { name: 'me' }
  | { name: 'pledge'; id: string }
  | { name: 'pay'; paymentId: string }
  | { name: 'plans' }
  | { name: 'subscribe'; planId: string }
  | { name: 'subscription'; id: string }
  | { name: 'shop'; code: string }
  | { name: 'shopCenter' }
  | { name: 'shopOrders' }
  | { name: 'shopTrials' }
  | { name: 'shopMarks' }
  | { name: 'notFound' };

const SEGMENT = '([^/]+)';
const PATTERNS: [RegExp, (m: string[], query: URLSearchParams) => Route][] = [
  [/^\/$/, () => ({ name: 'home' })],
  [new RegExp(`^/c/${SEGMENT}$`), (m) => ({ name: 'campaign', id: m[1] })],
  [/^\/signin$/, (_, q) => ({ name: 'signin', next: safeNext(q.get('next')) })],
  [/^\/me$/, () => ({ name: 'me' })],
  [new RegExp(`^/me/pledges/${SEGMENT}$`), (m) => ({ name: 'pledge', id: m[1] })],
  [new RegExp(`^/pay/${SEGMENT}$`), (m) => ({ name: 'pay', paymentId: m[1] })],
  [/^\/plans$/, () => ({ name: 'plans' })],
  [new RegExp(`^/plans/${SEGMENT}/subscribe$`), (m) => ({ name: 'subscribe', planId: m[1] })],
  [new RegExp(`^/subscriptions/${SEGMENT}$`), (m) => ({ name: 'subscription', id: m[1] })],
  [new RegExp(`^/s/${SEGMENT}$`), (m) => ({ name: 'shop', code: m[1].toUpperCase() })],
  [/^\/shop$/, () => ({ name: 'shopCenter' })],
  [/^\/shop\/orders$/, () => ({ name: 'shopOrders' })],
  [/^\/shop\/trials$/, () => ({ name: 'shopTrials' })],
  [/^\/shop\/marks$/, () => ({ name: 'shopMarks' })],
];

/** Only a path of this site: a crafted ?next= never sends the buyer elsewhere after signing in. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/me';
}

export function matchRoute(pathname: string, search = ''): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const query = new URLSearchParams(search);
  for (const [pattern, make] of PATTERNS) {
    const m = pattern.exec(path);
    if (m)
      return make(
        m.map((part) => (part === undefined ? part : safeDecode(part))),
        query,
      );
  }
  return { name: 'notFound' };
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

const listeners = new Set<() => void>();
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}
const snapshot = () => location.pathname + location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  listeners.forEach((listener) => listener());
}

/** The current path + query, re-rendering on every navigation. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, snapshot, () => '/');
}

/** A link that navigates in the app (a new tab, a modified click, works as any link). */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
