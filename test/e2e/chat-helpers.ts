/** Page-level steps shared by the chat e2e tests (not a test file itself). */
import { after, before } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import type { AgentCredentials, GetResponsesResponse } from '../../src/protocol/index.js';
import { ensurePageBuilt, eventually, launchBrowser } from '../support/browser.js';
import { startServer, type TestServer } from '../support/server.js';

export const TASK_ID = /^task_\d{13}_[0-9a-f]{32}$/;

export async function pickAgent(page: Page, agentId: string): Promise<void> {
  const select = page.getByTestId('agent-select');
  await select.locator(`option[value="${agentId}"]`).waitFor({ state: 'attached' });
  await select.selectOption(agentId);
}

/** Types into the composer and presses Enter. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

/** The task ID as the page shows it, once the server has assigned one. */
export async function readTaskId(page: Page): Promise<string> {
  return eventually(async () => {
    const text = ((await page.getByTestId('task-id').textContent()) ?? '').trim();
    if (!TASK_ID.test(text)) throw new Error(`task id not shown yet: "${text}"`);
    return text;
  });
}

/** get-responses with the page's own session cookie. */
export async function serverView(page: Page, baseUrl: string, taskId: string): Promise<GetResponsesResponse> {
  const res = await page.request.get(`${baseUrl}/api/communications/get-responses?taskId=${taskId}&after=0`);
  if (!res.ok()) throw new Error(`get-responses: ${res.status()} ${await res.text()}`);
  return (await res.json()) as GetResponsesResponse;
}

export async function texts(locator: Locator): Promise<string[]> {
  return (await locator.allInnerTexts()).map((t) => t.trim());
}

export async function messageIds(page: Page, kind: 'user' | 'agent'): Promise<string[]> {
  return page
    .getByTestId(`message-${kind}`)
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-message-id') ?? ''));
}

/** Waits until `locator`'s text contains `expected`. */
export async function waitForText(locator: Locator, expected: string | RegExp, timeoutMs = 5000): Promise<void> {
  await eventually(async () => {
    const text = (await locator.textContent()) ?? '';
    const ok = typeof expected === 'string' ? text.includes(expected) : expected.test(text);
    if (!ok) throw new Error(`expected ${String(expected)}, got "${text}"`);
  }, timeoutMs);
}

export async function waitForCount(locator: Locator, count: number, timeoutMs = 5000): Promise<void> {
  await eventually(async () => {
    const n = await locator.count();
    if (n !== count) throw new Error(`expected ${count} elements, found ${n}`);
  }, timeoutMs);
}

export interface ChatRig {
  readonly server: TestServer;
  readonly browser: Browser;
  readonly agent: AgentCredentials;
}

/**
 * The usual fixture of a page test: a real server with one agent and a browser, started before the
 * suite's tests and stopped after them. Call it at the top of a describe block. `env` sets the
 * server's configuration (e.g. STILL_WAITING_MS).
 */
export function chatRig(
  agentInput: { id: string; name: string; description?: string },
  options: { env?: Record<string, string> } = {},
): ChatRig {
  const rig = {} as { server: TestServer; browser: Browser; agent: AgentCredentials };
  before(async () => {
    ensurePageBuilt();
    rig.server = await startServer({ env: options.env });
    rig.agent = await rig.server.createAgent(agentInput);
    rig.browser = await launchBrowser();
  });
  after(async () => {
    await rig.browser?.close();
    await rig.server?.stop();
  });
  return rig;
}
