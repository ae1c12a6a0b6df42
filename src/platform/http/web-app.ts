import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { problemType, sendProblem } from './problem';

/**
 * What the service needs to serve a built single-page web app (the factory portal at /portal, the
 * storefront at /): its hashed assets, cached for a year; the app's index.html, never cached long, so
 * a release is picked up at once; a Content-Security-Policy that keeps its scripts same-origin; and, until
 * the app is built, a 404 problem saying how to build it (nothing is broken, something is missing).
 */
export interface WebAppOptions {
  /** The Vite build output: index.html and assets/. */
  distDir: string;
  /** How problems name the app's files: "portal asset", "storefront asset". */
  assetNoun: string;
  /** The problem answered before the app is built: its code and how to build it. */
  notBuilt: { code: string; detail: string };
  /** CSP directives beside helmet's defaults (the storefront shows campaign pictures from other https hosts). */
  csp?: Record<string, Iterable<string> | null>;
}

export class WebApp {
  readonly indexFile: string;
  private template: { text: string; mtimeMs: number; checkedAt: number } | undefined;

  constructor(readonly options: WebAppOptions) {
    this.indexFile = path.join(options.distDir, 'index.html');
  }

  /**
   * helmet's CSP defaults, but without upgrade-insecure-requests: on plain HTTP (the embedded default, a
   * LAN address such as http://192.168.1.20:3000/) it would make the browser fetch the app's own scripts
   * over https, which fails, and leave a blank page. Same-origin everything else stays.
   */
  csp(): RequestHandler {
    return helmet.contentSecurityPolicy({ directives: { upgradeInsecureRequests: null, ...this.options.csp } });
  }

  /**
   * The hashed files under assets/, cached for a year; an asset that is not there (an old hash after a
   * release) is a 404 problem, never index.html served as a script. Mount at the app's /assets.
   */
  assets(): Router {
    const router = Router();
    const dir = path.join(this.options.distDir, 'assets');
    // A script or stylesheet the build also wrote gzipped (the storefront's build does, at level 9) is sent
    // as that file to a browser that takes gzip: a phone on a slow link downloads the ~80 kB the first-load
    // budget counts, not the ~270 kB of plain text, and nothing is compressed per request. The name is
    // matched strictly, so the path cannot leave assets/.
    router.use((req, res, next) => {
      res.vary('Accept-Encoding');
      const name = /^\/([\w.-]+\.(js|css))$/.exec(req.path);
      if (!name || (req.method !== 'GET' && req.method !== 'HEAD') || !req.acceptsEncodings('gzip')) return next();
      const gzipped = path.join(dir, `${name[1]}.gz`);
      if (!existsSync(gzipped)) return next();
      res.sendFile(
        gzipped,
        {
          immutable: true,
          maxAge: '1y',
          headers: { 'Content-Encoding': 'gzip', 'Content-Type': name[2] === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8' },
        },
        (error) => error && next(error),
      );
    });
    router.use(express.static(dir, { immutable: true, maxAge: '1y', index: false }));
    router.use((req, res) => {
      sendProblem(res, {
        type: problemType('not_found'),
        title: 'Not Found',
        status: 404,
        code: 'not_found',
        detail: `There is no ${this.options.assetNoun} ${req.path}.`,
        instance: req.originalUrl,
      });
    });
    return router;
  }

  built(): boolean {
    return existsSync(this.indexFile);
  }

  sendNotBuilt(req: Request, res: Response): void {
    sendProblem(res, {
      type: problemType(this.options.notBuilt.code),
      title: 'Not Found',
      status: 404,
      code: this.options.notBuilt.code,
      detail: this.options.notBuilt.detail,
      instance: req.originalUrl,
    });
  }

  /** index.html as it is sent: always asked again by the browser, so a new release's (new hashed assets) is used at once. */
  sendIndex(res: Response, html?: string, status = 200): void {
    res.setHeader('Cache-Control', 'no-cache');
    if (html === undefined) res.sendFile(this.indexFile);
    else res.status(status).type('html').send(html);
  }

  /**
   * index.html's text, to fill in per request; undefined until the app is built. Kept in memory and
   * checked against the file at most once a second, so a page view does not read the disk and a new
   * build is still served within a second without a restart.
   */
  async indexTemplate(now = performance.now()): Promise<string | undefined> {
    const held = this.template;
    if (held && now - held.checkedAt < 1000) return held.text;
    const info = await stat(this.indexFile).catch(() => undefined);
    if (!info) {
      this.template = undefined;
      return undefined;
    }
    if (held && held.mtimeMs === info.mtimeMs) {
      held.checkedAt = now;
      return held.text;
    }
    const text = await readFile(this.indexFile, 'utf8').catch(() => undefined);
    this.template = text === undefined ? undefined : { text, mtimeMs: info.mtimeMs, checkedAt: now };
    return text;
  }
}
