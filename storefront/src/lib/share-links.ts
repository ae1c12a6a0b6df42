import { ApiError } from '../api/client';
import type { Api } from '../session';

/**
 * Share links (docs/shop-owners.md): a storefront URL with `?s=<shop code>`, or a shop page `/s/:code`.
 * The code is remembered (with when it was seen) until the consumer is signed in, then sent once as their
 * binding; each page opened through a link reports one visit, with an anonymous id this browser keeps.
 */
const SHOP_KEY = 'c2m-store.shop';
const VISITOR_KEY = 'c2m-store.visitor';
/** The server's SHOP_BINDING_DAYS default: a code seen longer ago than a binding would last is not sent. */
const REMEMBER_DAYS = 30;
const CODE = /^[A-Za-z0-9]{4,12}$/;
/** Fired on window once a binding was sent. */
export const SHOP_BOUND_EVENT = 'c2m-store:shop-bound';

/** The shop code of `?s=` in a query string, upper-cased, or null. */
export function shopCodeIn(search: string): string | null {
  const code = new URLSearchParams(search).get('s');
  return code && CODE.test(code) ? code.toUpperCase() : null;
}

export function rememberShopCode(code: string, now = Date.now()): void {
  try {
    localStorage.setItem(SHOP_KEY, JSON.stringify({ code, seenAt: new Date(now).toISOString() }));
  } catch {
    // Private mode: the link binds only if the buyer signs in on this page.
  }
}

/** The code remembered from a share link and not yet sent, unless it is too old to matter. */
export function rememberedShopCode(now = Date.now()): string | null {
  try {
    const stored = JSON.parse(localStorage.getItem(SHOP_KEY) ?? 'null') as { code?: unknown; seenAt?: unknown } | null;
    if (stored && typeof stored.code === 'string' && CODE.test(stored.code) && typeof stored.seenAt === 'string') {
      if (now - new Date(stored.seenAt).getTime() <= REMEMBER_DAYS * 86_400_000) return stored.code;
    }
    localStorage.removeItem(SHOP_KEY);
  } catch {
    // Unreadable: nothing remembered.
  }
  return null;
}

function forgetShopCode(code: string): void {
  try {
    if (rememberedShopCode() === code) localStorage.removeItem(SHOP_KEY);
  } catch {
    // Nothing to forget.
  }
}

/** An anonymous id kept in this browser: a visitor counts once per shop, page and day, and is never named. */
export function visitorId(): string {
  try {
    const kept = localStorage.getItem(VISITOR_KEY);
    if (kept && /^[A-Za-z0-9_-]{8,64}$/.test(kept)) return kept;
    const made = `v-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem(VISITOR_KEY, made);
    return made;
  } catch {
    return `v-${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}`;
  }
}

const visited = new Set<string>();
/** Each code's binding request, in flight or answered: asked for again, the same answer, never a second request. */
const sent = new Map<string, Promise<boolean>>();

/** One visit report per shop and page while the app is open (the server counts one a day anyway); never in the way. */
export function reportVisit(api: Api, code: string, campaignId?: string): void {
  const key = `${code}:${campaignId ?? ''}`;
  if (visited.has(key)) return;
  visited.add(key);
  void api('POST', '/v1/shop-visits', { body: { code, visitorId: visitorId(), ...(campaignId ? { campaignId } : {}) } }).catch(() => undefined);
}

/**
 * Sends the remembered code as the signed-in consumer's binding, once. It is forgotten once the server has
 * answered for it (bound, or refused for good: no such shop, or the consumer is a shop owner); kept to try
 * again after a network error, a rate limit or a session that had ended. A caller that needs the binding
 * made first (a pledge is attributed as it is placed) awaits the request already in flight.
 */
export function sendBinding(api: Api): Promise<boolean> {
  const code = rememberedShopCode();
  if (!code) return Promise.resolve(false);
  const sending = sent.get(code);
  if (sending) return sending;
  const attempt = (async () => {
    try {
      await api('POST', '/v1/me/shop-binding', { body: { code } });
      forgetShopCode(code);
      // A page showing the binding (我的) reads it again.
      window.dispatchEvent(new Event(SHOP_BOUND_EVENT));
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 429) forgetShopCode(code);
      else sent.delete(code);
      return false;
    }
  })();
  sent.set(code, attempt);
  return attempt;
}

/** Copies text: the clipboard API, else the older selection copy; false if neither worked (the page then shows the text to copy by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    } finally {
      area.remove();
    }
  }
}
