import express, { Router } from 'express';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths';
import { WebApp } from './web-app';

export const PORTAL_PATH = '/portal';
/** Where `npm --prefix factory-portal run build` writes the factory portal (the root `npm ci` runs it). */
export const PORTAL_DIST = path.join(PROJECT_ROOT, 'factory-portal/dist');

/**
 * The factory portal (the React app in factory-portal/) at /portal, from the same origin as the /v1 API
 * it calls (web-app.ts: assets cached for a year, index.html never cached long, same-origin CSP). Every
 * other GET under /portal is answered with index.html, so a reload or a link to /portal/batches/… opens
 * that screen. Until the app is built, /portal says how to build it.
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
  return router;
}
