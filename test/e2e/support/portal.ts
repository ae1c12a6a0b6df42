import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { PORTAL_DIST } from '../../../src/platform/http/portal';

/** Debian's chromium (`apt-get install chromium`): playwright-core drives it and downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(__dirname, '../../../docs/screenshots');
export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Fails early, saying what to do, when something the browser tests need is not installed. */
export function requirePrerequisites(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the browser tests never download one)`);
  if (!existsSync(path.join(PORTAL_DIST, 'index.html'))) throw new Error('the factory portal is not built: npm ci at the root, or npm run build:portal');
}

/**
 * A fresh browser profile in Debian's chromium. The browser's own zone and language are deliberately not
 * China's: the apps must show Shanghai times and speak Chinese whatever the machine says. Reduced motion
 * makes charts draw at once (the chart library honours it), so screenshots show them whole.
 */
export async function launchChromium(
  name: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1],
): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), `${name}-chromium-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    locale: 'en-US',
    timezoneId: 'America/New_York',
    reducedMotion: 'reduce',
    ...options,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The factory portal on a laptop. */
export const launchBrowser = () => launchChromium('portal', { viewport: LAPTOP, acceptDownloads: true });

/** A screenshot of the whole screen for docs/, taken with the pointer out of the way (no stray tooltip). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.mouse.move(0, 0);
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The text a user reads in an element, once it is there. */
export async function textOf(locator: Locator): Promise<string> {
  await locator.waitFor();
  return (await locator.innerText()).trim();
}

/** "12,345" as a user reads it → 12345. */
export function readNumber(text: string): number {
  return Number(text.replace(/,/g, ''));
}

/** Shanghai wall-clock time of an instant, as the portal writes it (2026-11-30 12:40), computed here independently. */
export function shanghaiTime(iso: string): string {
  return new Date(iso).toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 16);
}

export interface Push {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A factory's webhook receiver: accepts every push and keeps it for the test to read. */
export async function startReceiver(): Promise<{ url: string; pushes: Push[]; close(): Promise<void> }> {
  const pushes: Push[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pushes.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/c2m/forecasts`, pushes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The service's public API, as any client calls it. */
export class ApiClient {
  constructor(private readonly baseUrl: string) {}

  async call<T>(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(this.baseUrl + url, {
      method,
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** A call that must succeed. */
  async ok<T>(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const { status, body: answer } = await this.call<T>(method, url, token, body, headers);
    if (status < 200 || status >= 300) throw new Error(`${method} ${url} answered ${status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  async login(email: string, password: string): Promise<{ token: string; user: { factoryId: string | null } }> {
    return this.ok('POST', '/v1/auth/login', undefined, { email, password });
  }
}

/** Asks until `check` gives a value (a job has run, a push has arrived); fails with `what` after a minute. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`still not so after a minute: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
