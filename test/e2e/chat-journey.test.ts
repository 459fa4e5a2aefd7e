/**
 * The spec's journey in a real browser against a real server: pick an agent, send, the agent
 * answers through the webhook, the page shows it. Plus the composer's keys, double-send,
 * Refresh, Cancel, delivery state and the agent's status.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { startAgentServer, type TestAgentServer } from '../support/agent-server.js';
import {
  answerSeenAt,
  browserSkip,
  ensurePageBuilt,
  eventually,
  launchBrowser,
  openChat,
  recordAnswerTimes,
} from '../support/browser.js';
import { startServer, type TestServer } from '../support/server.js';
import { messageIds, pickAgent, readTaskId, sendMessage, serverView, waitForCount, waitForText } from './chat-helpers.js';

describe('chat page: the journey', { skip: browserSkip() }, () => {
  let server: TestServer;
  let browser: Browser;
  let agent: AgentCredentials;
  let other: AgentCredentials;
  let hooks: TestAgentServer;
  let pushed: AgentCredentials;

  before(async () => {
    ensurePageBuilt();
    hooks = await startAgentServer({ status: 503 });
    server = await startServer({ env: { DELIVERY_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms', STATUS_TTL_MS: '1500' } });
    other = await server.createAgent({ id: 'other', name: 'Other agent' });
    agent = await server.createAgent({ id: 'helper', name: 'Helper', description: 'Answers by webhook.' });
    pushed = await server.createAgent({ id: 'pushed', name: 'Pushed', endpointUrl: hooks.url });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await hooks?.close();
  });

  it('sends a message and shows the webhook answer within 1 s while polling', async () => {
    const chat = await openChat(browser, server.url, { transport: 'poll' });
    try {
      const { page } = chat;
      await waitForText(page.getByTestId('transport'), 'Polling 1s');
      await pickAgent(page, agent.id);
      await waitForText(page.getByTestId('task-id'), 'New chat — the task ID appears with your first message');

      await sendMessage(page, 'What is the capital of France?');
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('message-user'), 'What is the capital of France?');
      await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
      assert.equal(await page.getByTestId('copy-task-id').isVisible(), true);

      await recordAnswerTimes(page);
      const res = await server.webhook({ taskId, response: 'Paris.', messageId: 'ans-1' }, agent.token);
      const postedAt = Date.now();
      assert.equal(res.status, 200);
      const seenAt = await answerSeenAt(page, 'ans-1');
      // One poll interval (1 s) plus one request and a render.
      assert.ok(seenAt - postedAt <= 1300, `answer took ${seenAt - postedAt} ms to appear`);
      await waitForText(page.getByTestId('message-agent'), 'Paris.');
      await page.getByTestId('waiting').waitFor({ state: 'detached' });
      // Screen readers hear the answer without losing their place.
      await waitForText(page.locator('[aria-live="polite"]'), 'Paris.');
      assert.deepEqual(chat.dialogs, []);
      assert.deepEqual(chat.pageErrors, []);
      assert.deepEqual(chat.consoleErrors, [], 'no CSP violation or other console error');
    } finally {
      await chat.close();
    }
  });

  it('copies the task ID for a curl webhook', async () => {
    const chat = await openChat(browser, server.url, { permissions: ['clipboard-read', 'clipboard-write'] });
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      assert.equal(await page.getByTestId('copy-task-id').count(), 0, 'nothing to copy before the first message');
      await sendMessage(page, 'copy me');
      const taskId = await readTaskId(page);
      await page.getByTestId('copy-task-id').click();
      await page.getByRole('button', { name: 'Task ID copied' }).waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), taskId);
    } finally {
      await chat.close();
    }
  });

  it('everything works from the keyboard, and every control has a name', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await page.getByTestId('agent-select').focus();
      const reached: string[] = [];
      for (let i = 0; i < 8 && !reached.includes('composer'); i++) {
        await page.keyboard.press('Tab');
        reached.push(await page.evaluate('document.activeElement?.dataset?.testid ?? document.activeElement?.tagName'));
      }
      assert.ok(reached.includes('composer'), `Tab reaches the composer: ${reached.join(' → ')}`);
      await page.keyboard.type('typed without a mouse');
      await page.keyboard.press('Enter');
      await waitForText(page.getByTestId('message-user'), 'typed without a mouse');
      await page.getByTestId('cancel').waitFor();

      const unnamed = await page.locator('button, select, textarea').evaluateAll((els) =>
        els
          .filter((el) => {
            const e = el as unknown as { id: string; textContent: string | null; getAttribute(n: string): string | null };
            const labelled = e.id !== '' && (el as unknown as { labels?: { length: number } }).labels?.length;
            return !labelled && !e.getAttribute('aria-label') && !(e.textContent ?? '').trim();
          })
          .map((el) => (el as unknown as { outerHTML: string }).outerHTML.slice(0, 80)),
      );
      assert.deepEqual(unnamed, []);
    } finally {
      await chat.close();
    }
  });

  it('a rejected send shows the reason and Retry sends the same message once', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await page.route('**/api/tasks/assign-user-task', (route) =>
        route.fulfill({
          status: 400,
          contentType: 'application/json',
          body: JSON.stringify({ success: false, error: { code: 'VALIDATION_FAILED', message: 'The message was refused.' } }),
        }),
      );
      await sendMessage(page, 'please retry me');
      await waitForText(page.getByTestId('banner'), 'The message was refused.');
      await waitForText(page.getByTestId('delivery-state'), 'Not sent: The message was refused.');
      const [firstId] = await messageIds(page, 'user');

      await page.unroute('**/api/tasks/assign-user-task');
      await page.getByTestId('retry').click();
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('delivery-state'), 'Sent');
      assert.deepEqual(await messageIds(page, 'user'), [firstId], 'the same message, not a copy');
      const view = await serverView(page, server.url, taskId);
      assert.deepEqual(view.task.turns.map((t) => t.messageId), [firstId]);
    } finally {
      await chat.close();
    }
  });

  it('a send whose answer is lost on the way back is resent and stored once', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      let lost = 0;
      // The server stores the message, then the connection drops before the page hears back.
      await page.route('**/api/tasks/assign-user-task', async (route) => {
        if (lost++ === 0) {
          await route.fetch();
          await route.abort('connectionreset');
        } else {
          await route.continue();
        }
      });
      await sendMessage(page, 'did you get this?');
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('delivery-state'), 'Sent');
      assert.equal(lost, 2, 'sent twice: once lost, once answered (duplicate)');
      const view = await serverView(page, server.url, taskId);
      assert.equal(view.task.turns.length, 1);
      assert.equal(await page.getByTestId('message-user').count(), 1);
    } finally {
      await chat.close();
    }
  });

  it('Enter sends, Shift+Enter adds a line, and empty input is refused', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      const composer = page.getByTestId('composer');

      await composer.press('Enter');
      await composer.fill('   \n  ');
      await composer.press('Enter');
      assert.equal(await page.getByTestId('send').isDisabled(), true);
      assert.equal(await page.getByTestId('message-user').count(), 0);

      await composer.fill('');
      await composer.pressSequentially('line one');
      await composer.press('Shift+Enter');
      await composer.pressSequentially('line two');
      assert.equal(await composer.inputValue(), 'line one\nline two');
      assert.equal(await page.getByTestId('message-user').count(), 0);

      await composer.press('Enter');
      await waitForCount(page.getByTestId('message-user'), 1);
      assert.equal((await page.getByTestId('message-user').locator('p').innerText()).trim(), 'line one\nline two');
      assert.equal(await composer.inputValue(), '');
      await readTaskId(page);
    } finally {
      await chat.close();
    }
  });

  it('a double click, a double Enter and two clicks in one task each send once', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await page.getByTestId('composer').fill('double click');
      await page.getByTestId('send').dblclick();
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('delivery-state'), 'Sent');

      await page.getByTestId('composer').fill('double enter');
      await page.getByTestId('composer').press('Enter');
      await page.getByTestId('composer').press('Enter');

      await page.getByTestId('composer').fill('two clicks in one task');
      await page.getByTestId('send').evaluate((button) => {
        (button as unknown as { click(): void }).click();
        (button as unknown as { click(): void }).click();
      });

      await waitForCount(page.getByTestId('message-user'), 3);
      await eventually(async () => {
        const view = await serverView(page, server.url, taskId);
        assert.equal(view.task.turns.length, 3, 'the server stored each message once');
      });
      const ids = await messageIds(page, 'user');
      assert.equal(new Set(ids).size, 3);
      const view = await serverView(page, server.url, taskId);
      assert.deepEqual(view.task.turns.map((t) => t.messageId), ids);
    } finally {
      await chat.close();
    }
  });

  it('the first message double-sent creates one task with one turn', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await page.getByTestId('composer').fill('only once');
      await page.getByTestId('composer').press('Enter');
      await page.getByTestId('composer').press('Enter');
      const taskId = await readTaskId(page);
      const view = await serverView(page, server.url, taskId);
      assert.equal(view.task.turns.length, 1);
      assert.equal(await page.getByTestId('message-user').count(), 1);
    } finally {
      await chat.close();
    }
  });

  it('Refresh fetches at once an answer that arrives after polling stopped', async () => {
    const chat = await openChat(browser, server.url, { transport: 'poll' });
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'first');
      const taskId = await readTaskId(page);
      await server.webhook({ taskId, response: 'answer one', messageId: 'r-1' }, agent.token);
      await waitForText(page.getByTestId('message-agent'), 'answer one');
      await page.getByTestId('waiting').waitFor({ state: 'detached' });

      // Nothing is awaited, so nothing polls: only Refresh brings this one in.
      const polls: string[] = [];
      page.on('request', (r) => r.url().includes('/get-responses') && polls.push(r.url()));
      const late = await server.webhook({ taskId, response: 'a late addendum', messageId: 'r-2' }, agent.token);
      assert.equal(late.status, 200);
      await page.getByTestId('refresh').click();
      await waitForCount(page.getByTestId('message-agent'), 2, 2000);
      await waitForText(page.getByTestId('message-agent').nth(1), 'a late addendum');
      assert.equal(polls.length, 1, 'exactly the one request Refresh made');
    } finally {
      await chat.close();
    }
  });

  it('several answers show in order; a non-final one keeps the page waiting', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'tell me in parts');
      const taskId = await readTaskId(page);
      await server.webhook({ taskId, response: 'part 1', messageId: 'p-1', final: false }, agent.token);
      await waitForText(page.getByTestId('message-agent'), 'part 1');
      await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
      await server.webhook({ taskId, response: 'part 2', messageId: 'p-2', final: false }, agent.token);
      await server.webhook({ taskId, response: 'part 3, done', messageId: 'p-3' }, agent.token);
      await waitForCount(page.getByTestId('message-agent'), 3);
      assert.deepEqual(await messageIds(page, 'agent'), ['p-1', 'p-2', 'p-3']);
      await page.getByTestId('waiting').waitFor({ state: 'detached' });
    } finally {
      await chat.close();
    }
  });

  it('keeps polling for an earlier question after the newer one is answered', async () => {
    const chat = await openChat(browser, server.url, { transport: 'poll' });
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'first question');
      const taskId = await readTaskId(page);
      await sendMessage(page, 'second question');
      await waitForCount(page.getByTestId('message-user'), 2);
      await waitForText(page.getByTestId('delivery-state').nth(1), 'Sent');
      const [first, second] = await messageIds(page, 'user');

      await server.webhook({ taskId, response: 'second answer', messageId: 'q-2', inReplyTo: second }, agent.token);
      await waitForText(page.getByTestId('message-agent'), 'second answer');
      await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
      await server.webhook({ taskId, response: 'first answer', messageId: 'q-1', inReplyTo: first }, agent.token);
      await waitForCount(page.getByTestId('message-agent'), 2, 3000);
      await page.getByTestId('waiting').waitFor({ state: 'detached' });
    } finally {
      await chat.close();
    }
  });

  it('Cancel ends the wait, and a late answer to that turn is refused', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'never mind');
      const taskId = await readTaskId(page);
      await page.getByTestId('cancel').click();
      await page.getByTestId('waiting').waitFor({ state: 'detached' });
      await waitForText(page.getByTestId('delivery-state'), 'Canceled');
      const late = await server.webhook({ taskId, response: 'too late', messageId: 'late-after-cancel' }, agent.token);
      assert.equal(late.status, 409);
      const view = await serverView(page, server.url, taskId);
      assert.equal(view.task.turns[0]?.state, 'canceled');

      // Even a fresh read shows no trace of the refused answer.
      const read = page.waitForResponse((r) => r.url().includes('/api/communications/get-responses'));
      await page.getByTestId('refresh').click();
      assert.equal((await read).status(), 200);
      await page.locator('[data-testid="refresh"][aria-busy="false"]').waitFor();
      assert.equal(await page.getByTestId('message-agent').count(), 0);
      assert.equal(await page.locator('[data-message-id="late-after-cancel"]').count(), 0);
      assert.ok(!(await page.locator('body').innerText()).includes('too late'), 'the late answer is nowhere on the page');
      await waitForText(page.getByTestId('delivery-state'), 'Canceled');
    } finally {
      await chat.close();
    }
  });

  it('shows the agent status and hides it when it expires', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'think hard');
      const taskId = await readTaskId(page);
      const res = await server.webhook({ taskId, status: 'working', statusText: 'Reading the docs…' }, agent.token);
      assert.equal(res.status, 200);
      await waitForText(page.getByTestId('agent-status'), 'Reading the docs…');
      // The status lives STATUS_TTL_MS (1.5 s here); the page hides it on its own when it expires.
      await page.getByTestId('agent-status').waitFor({ state: 'detached', timeout: 5000 });
      await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
      await server.webhook({ taskId, response: 'Done.' }, agent.token);
      await waitForText(page.getByTestId('message-agent'), 'Done.');
    } finally {
      await chat.close();
    }
  });

  it('shows delivery to an unreachable agent as retrying, then delivered', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, pushed.id);
      await sendMessage(page, 'are you there?');
      await waitForText(page.getByTestId('delivery-state'), /Agent unreachable, retrying \(attempt \d+\)/);
      hooks.fallback = { status: 200 };
      await waitForText(page.getByTestId('delivery-state'), 'Delivered', 10_000);
      assert.ok(hooks.received.length >= 2);
    } finally {
      await chat.close();
    }
  });

  it('switching agents starts a fresh chat with no history', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'hello helper');
      await readTaskId(page);
      await pickAgent(page, other.id);
      await waitForCount(page.getByTestId('message-user'), 0);
      await waitForText(page.getByTestId('task-id'), 'New chat');
    } finally {
      await chat.close();
    }
  });

  it('a reload starts fresh: no history, and the next message opens a new task', async () => {
    const chat = await openChat(browser, server.url);
    try {
      const { page } = chat;
      await pickAgent(page, agent.id);
      await sendMessage(page, 'before the reload');
      const first = await readTaskId(page);
      await server.webhook({ taskId: first, response: 'an answer before the reload', messageId: 'before-reload' }, agent.token);
      await waitForText(page.getByTestId('message-agent'), 'an answer before the reload');

      await page.reload();
      await pickAgent(page, agent.id);
      await page.getByRole('heading', { name: 'Start a conversation with Helper' }).waitFor();
      await waitForText(page.getByTestId('task-id'), 'New chat — the task ID appears with your first message');
      assert.equal(await page.getByTestId('message-user').count(), 0);
      assert.equal(await page.getByTestId('message-agent').count(), 0);
      assert.ok(!(await page.locator('body').innerText()).includes('before the reload'));

      await sendMessage(page, 'after the reload');
      const second = await readTaskId(page);
      assert.notEqual(second, first, 'a new task');
      await waitForCount(page.getByTestId('message-user'), 1);
      await waitForText(page.getByTestId('message-user'), 'after the reload');
      assert.equal(await page.getByTestId('message-agent').count(), 0);
    } finally {
      await chat.close();
    }
  });
});
