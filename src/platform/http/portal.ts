import express, { Router } from 'express';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths';
import { WebApp } from './web-app';

export const PORTAL_PATH = '/portal';
/** The operator console: served by the portal app at /portal/console/…, to which /console leads. */
export const CONSOLE_PATH = '/console';
/** Where `npm --prefix factory-portal run build` writes the factory portal (the root `npm ci` runs it). */
export const PORTAL_DIST = path.join(PROJECT_ROOT, 'factory-portal/dist');

/**
 * The factory portal (the React app in factory-portal/) at /portal, from the same origin as the /v1 API
 * it calls (web-app.ts: assets cached for a year, index.html never cached long, same-origin CSP). Every
 * other GET under /portal is answered with index.html, so a reload or a link to /portal/batches/… opens
 * that screen. Until the app is built, /portal says how to build it. /console and every path under it
 * redirect to the same path under /portal (the console's screens in the portal app).
 */
export function portalRouter(distDir: string = PORTAL_DIST): Router {
  const app = new WebApp({
    distDir,
    assetNoun: 'portal asset',
    notBuilt: {
      code: 'portal_not_built',
      detail:
        'The factory portal has not been built. Run `npm ci` at the project root (it builds the portal), or `npm --prefix factory-portal ci && npm --prefix factory-portal run build`; no restart is needed.',
    },
  });
  const portal = Router();
  portal.use(app.csp());
  portal.use('/assets', app.assets());
  portal.use(express.static(distDir, { index: false }));
  portal.get('/{*screen}', (req, res) => {
    if (!app.built()) app.sendNotBuilt(req, res);
    else app.sendIndex(res);
  });

  const router = Router();
  router.use(PORTAL_PATH, portal);
  // The operator console is an area of the portal app (docs/operator-console.md); /console is the address operators are given.
  router.get(CONSOLE_PATH, (_req, res) => res.redirect(302, `${PORTAL_PATH}${CONSOLE_PATH}/`));
  router.get(`${CONSOLE_PATH}/{*screen}`, (req, res) => res.redirect(302, `${PORTAL_PATH}${req.path}`));
  return router;
}
