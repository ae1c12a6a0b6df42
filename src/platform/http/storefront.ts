import express, { Router, type Request } from 'express';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths';
import { WebApp } from './web-app';

/** Where `npm --prefix storefront run build` writes the consumer storefront (Vite). */
export const STOREFRONT_DIST = path.join(PROJECT_ROOT, 'storefront/dist');

/** The storefront's screens: each answered with its index.html, its head and first-paint data filled in by the server. */
export const STOREFRONT_ROUTES = [
  '/',
  '/c/:id',
  '/signin',
  '/me',
  '/me/pledges/:id',
  '/pay/:paymentId',
  '/plans',
  '/plans/:id/subscribe',
  '/subscriptions/:id',
  '/s/:code',
  '/shop',
  '/shop/orders',
  '/shop/trials',
  '/shop/marks',
] as const;
export type StorefrontRoute = (typeof STOREFRONT_ROUTES)[number];

/** What the server puts into one page: in <head> (title, description, share-card meta) and the data the app paints first. */
export interface StorefrontPage {
  status: number;
  /** HTML for <!--app-head-->, every value already escaped. */
  head: string;
  /** Serialized into <script type="application/json" id="initial-data"> for <!--app-data-->. */
  data: unknown;
}

export type RenderStorefrontPage = (req: Request, route: StorefrontRoute) => Promise<StorefrontPage>;

/** Files Vite copies from public/ to the top of dist/ (favicon, robots.txt, a web manifest); never index.html itself. */
const TOP_LEVEL_FILE = /^\/(?!index\.html$)[A-Za-z0-9_-][A-Za-z0-9._-]*\.(ico|png|svg|webp|jpg|txt|webmanifest|json|xml)$/;

/**
 * The consumer storefront (the React app in storefront/) at /, beside the API: its screens, /assets
 * (immutable) and its top-level public files. Only the listed screens are served, so the storefront
 * never shadows /v1, /portal, /docs, /healthz, /readyz or /metrics. Until the app is built, a screen
 * is a 404 problem that says how to build it.
 */
export function storefrontRouter(options: { render: RenderStorefrontPage; distDir?: string; csp?: Record<string, Iterable<string> | null> }): Router {
  const distDir = options.distDir ?? STOREFRONT_DIST;
  const app = new WebApp({
    distDir,
    assetNoun: 'storefront asset',
    notBuilt: {
      code: 'storefront_not_built',
      detail:
        'The consumer storefront has not been built. Run `npm ci` at the project root, or `npm --prefix storefront ci && npm --prefix storefront run build`; no restart is needed.',
    },
    csp: options.csp,
  });
  const csp = app.csp();
  const topLevel = express.static(distDir, { index: false, fallthrough: true });
  const router = Router();
  router.use('/assets', csp, app.assets());
  router.get('/index.html', (_req, res) => res.redirect(301, '/'));
  router.use((req, res, next) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && TOP_LEVEL_FILE.test(req.path)) topLevel(req, res, next);
    else next();
  });
  for (const route of STOREFRONT_ROUTES) {
    router.get(route, csp, async (req, res) => {
      const template = await app.indexTemplate();
      if (template === undefined) {
        app.sendNotBuilt(req, res);
        return;
      }
      const page = await options.render(req, route);
      app.sendIndex(res, fillIn(template, page), page.status);
    });
  }
  return router;
}

/**
 * The page: the template with the head and the initial data put in their places. The JSON is made
 * safe inside a <script> element: `<` (so no `</script>` or `<!--` can end or change it), `>`, `&` and
 * the two line separators JavaScript once treated as line ends are written as \u escapes, which JSON.parse reads back unchanged.
 */
export function fillIn(template: string, page: Pick<StorefrontPage, 'head' | 'data'>): string {
  const data = `<script type="application/json" id="initial-data">${jsonForHtml(page.data)}</script>`;
  return put(put(template, '<!--app-head-->', page.head, '</head>'), '<!--app-data-->', data, '</body>');
}

export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Replaces the placeholder (by position, so nothing in the text is read as a replacement pattern); without one, inserts before `fallback`. */
function put(html: string, placeholder: string, text: string, fallback: string): string {
  let at = html.indexOf(placeholder);
  let length = placeholder.length;
  if (at < 0) {
    at = html.indexOf(fallback);
    length = 0;
    if (at < 0) return html + text;
  }
  return html.slice(0, at) + text + html.slice(at + length);
}

/** Text for an HTML attribute value or element content. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
