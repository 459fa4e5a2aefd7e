/**
 * Headless Chromium for the end-to-end tests (playwright-core, never `playwright install`).
 * Without a browser the tests skip with a reason, unless REQUIRE_BROWSER=1 (CI) makes that an error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Without the network flags Chromium keeps calling hosts this machine cannot reach. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** CHROMIUM_PATH, else Debian's /usr/bin/chromium; null when neither exists. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'];
  for (const path of candidates) if (path && existsSync(path)) return path;
  return null;
}

/**
 * For `describe(name, { skip: browserSkip() }, …)`: false when a browser exists, otherwise the
 * reason to skip. Throws instead when REQUIRE_BROWSER=1, so CI cannot pass by skipping.
 */
export function browserSkip(): string | false {
  if (findChromium() !== null) return false;
  const reason = 'no Chromium: set CHROMIUM_PATH or run `apt-get install -y chromium`';
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${reason}`);
  return reason;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The server serves web/dist. `npm test` builds it first; a test file run on its own builds it
 * when it is missing (never when present: files running in parallel must not empty it).
 */
export function ensurePageBuilt(): void {
  if (existsSync(join(ROOT, 'web', 'dist', 'index.html'))) return;
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the chat page failed');
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === null) throw new Error(String(browserSkip()));
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

export interface ChatPageOptions {
  /** Force a transport: `?transport=`. */
  transport?: 'sse' | 'longpoll' | 'poll';
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  /** Browser permissions, e.g. clipboard-read. */
  permissions?: string[];
  /** Runs before the page loads (for example to route requests). */
  beforeLoad?: (page: Page) => Promise<unknown>;
}

export interface ChatPage {
  context: BrowserContext;
  page: Page;
  /** Dialogs (alert, confirm, prompt) the page tried to open. Every test expects none. */
  dialogs: string[];
  /** Uncaught errors in the page. */
  pageErrors: string[];
  /** Console errors (CSP violations show up here). */
  consoleErrors: string[];
  close(): Promise<void>;
}

/** A fresh browser context (its own session cookie) with the chat page open. */
export async function openChat(browser: Browser, baseUrl: string, options: ChatPageOptions = {}): Promise<ChatPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1024, height: 720 },
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
    permissions: options.permissions ?? [],
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await options.beforeLoad?.(page);
  const query = options.transport ? `?transport=${options.transport}` : '';
  await page.goto(`${baseUrl}/chat${query}`);
  return { context, page, dialogs, pageErrors, consoleErrors, close: () => context.close() };
}

/** Retries `check` until it stops throwing (or returns true), for at most `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      throw new Error('condition is still false');
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Browser-side code is passed as strings: the repo's tsconfig has no DOM library, on purpose.
const RECORD_ANSWER_TIMES = `(() => {
  if (window.__answerSeen) return;
  const seen = (window.__answerSeen = {});
  const scan = () => {
    for (const el of document.querySelectorAll('[data-testid="message-agent"]')) {
      const id = el.getAttribute('data-message-id');
      if (id && !(id in seen)) seen[id] = Date.now();
    }
  };
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  scan();
})()`;

/**
 * Records, inside the page, the wall-clock time at which each agent answer first appears in the
 * DOM (same machine, same clock as the test). Read it with answerSeenAt(page, messageId).
 */
export async function recordAnswerTimes(page: Page): Promise<void> {
  await page.evaluate(RECORD_ANSWER_TIMES);
}

export async function answerSeenAt(page: Page, messageId: string, timeoutMs = 5000): Promise<number> {
  return eventually(async () => {
    const at = await page.evaluate(`window.__answerSeen?.[${JSON.stringify(messageId)}] ?? null`);
    if (typeof at !== 'number') throw new Error(`answer ${messageId} has not appeared`);
    return at;
  }, timeoutMs);
}

/** Saves test-artifacts/screenshots/<name>.png (gitignored) for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(process.cwd(), 'test-artifacts', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}
