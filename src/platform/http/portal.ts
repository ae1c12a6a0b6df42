import express, { Router } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths';
import { problemType, sendProblem } from './problem';

export const PORTAL_PATH = '/portal';
/** Where `npm --prefix factory-portal run build` writes the factory portal (the root `npm ci` runs it). */
export const PORTAL_DIST = path.join(PROJECT_ROOT, 'factory-portal/dist');

/**
 * The factory portal (the React app in factory-portal/) at /portal, from the same origin as the /v1 API
 * it calls. Its hashed assets are cached for a year; every other GET under /portal is answered with
 * index.html, so a reload or a link to /portal/batches/… opens that screen. Until the app is built,
 * /portal says how to build it (a 404 problem: nothing is broken, something is missing).
 */
export function portalRouter(distDir: string = PORTAL_DIST): Router {
  const indexFile = path.join(distDir, 'index.html');
  const portal = Router();

  // helmet's defaults, but without upgrade-insecure-requests: on plain HTTP (the embedded default, a
  // LAN address such as http://192.168.1.20:3000/portal) it would make the browser fetch the app's own
  // scripts over https, which fails, and leave a blank page. Same-origin everything else stays.
  portal.use(helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null } }));
  portal.use('/assets', express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '1y', index: false }));
  // An asset that is not there (an old hash after a release) is a 404, never index.html served as a script.
  portal.use('/assets', (req, res) => {
    sendProblem(res, { type: problemType('not_found'), title: 'Not Found', status: 404, code: 'not_found', detail: `There is no portal asset ${req.path}.`, instance: req.originalUrl });
  });
  portal.use(express.static(distDir, { index: false }));
  portal.get('/{*screen}', (req, res) => {
    if (!existsSync(indexFile)) {
      sendProblem(res, {
        type: problemType('portal_not_built'), title: 'Not Found', status: 404, code: 'portal_not_built',
        detail: 'The factory portal has not been built. Run `npm ci` at the project root (it builds the portal), or `npm --prefix factory-portal ci && npm --prefix factory-portal run build`; no restart is needed.',
        instance: req.originalUrl,
      });
      return;
    }
    // Always asked again, so a new release's index.html (pointing at new hashed assets) is picked up at once.
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });

  const router = Router();
  router.use(PORTAL_PATH, portal);
  return router;
}
