/**
 * Headless Chromium for the browser tests (Debian's /usr/bin/chromium, driven by playwright-core),
 * and a small server for the client's browser bundles in dist/browser/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { projectRoot } from './cli.js';
import { debianNeed, skipWithoutDebian } from './debian.js';

export const chromiumPath = debianNeed('chromium').file;

/** For a describe's `skip` option: false when Chromium is there, else the reason to skip. */
export const skipWithoutChromium = skipWithoutDebian('chromium');

/** Quiet and self-contained: no GPU, no QUIC, no background traffic to Google's services. */
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface LaunchedChromium {
  context: BrowserContext;
  /** The tab Chromium opened with (a new one if it opened none). */
  firstPage(): Promise<Page>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile in a temp dir of its own; `extraArgs` add to the usual flags. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<LaunchedChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'junction-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: [...chromiumArgs, ...extraArgs] });
  } catch (error) {
    removeProfile();
    throw error;
  }
  return {
    context,
    async firstPage() {
      return context.pages()[0] ?? (await context.newPage());
    },
    async close() {
      try {
        await context.close();
      } finally {
        removeProfile();
      }
    },
  };
}

export const browserBundleDir = join(projectRoot, 'dist', 'browser');

/** `npm run build` builds the bundles; this builds them when a test file runs on its own after tsc alone. */
export function buildBrowserBundlesIfMissing(): void {
  if (!existsSync(join(browserBundleDir, 'junction-client.min.js'))) execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-client.mjs')]);
}

export interface BundleServer {
  /** http://127.0.0.1:PORT, the page's origin. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves dist/browser/ (bundles and their chunks) and, at `/`, an empty page titled `title`, so
 * that the bundles load as same-origin ES modules on an origin of their own (another port than
 * the router's). Builds the bundles first if they are missing.
 */
export async function serveBrowserBundles(title: string): Promise<BundleServer> {
  buildBrowserBundlesIfMissing();
  const types: Record<string, string> = { '.js': 'text/javascript', '.map': 'application/json', '.html': 'text/html' };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${title}</title>`);
      return;
    }
    const file = normalize(join(browserBundleDir, path));
    if (!file.startsWith(browserBundleDir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
