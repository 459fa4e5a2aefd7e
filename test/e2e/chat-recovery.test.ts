/**
 * The server goes away mid-chat and comes back on the same port and database: the page says so,
 * retries by itself, and ends with every message exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { browserSkip, ensurePageBuilt, eventually, launchBrowser, openChat } from '../support/browser.js';
import { startServer, type TestServer } from '../support/server.js';
import { messageIds, pickAgent, readTaskId, sendMessage, serverView, waitForCount, waitForText } from './chat-helpers.js';

describe('chat page: server restart', { skip: browserSkip() }, () => {
  let server: TestServer;
  let browser: Browser;
  let agent: AgentCredentials;

  before(async () => {
    ensurePageBuilt();
    // A child process, so the test can kill it outright and start it again on the same port and file.
    server = await startServer({ process: true });
    agent = await server.createAgent({ id: 'steady', name: 'Steady' });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const transport of ['sse', 'poll'] as const) {
    it(`shows a banner, recovers and loses or repeats nothing (${transport})`, async () => {
      const chat = await openChat(browser, server.url, { transport });
      try {
        const { page } = chat;
        await pickAgent(page, agent.id);
        await sendMessage(page, 'before the outage');
        const taskId = await readTaskId(page);
        await server.webhook({ taskId, response: 'answer before', messageId: `${transport}-a1` }, agent.token);
        await waitForText(page.getByTestId('message-agent'), 'answer before', 3000);

        await sendMessage(page, 'a question that waits');
        await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
        await server.kill();
        await waitForText(page.getByTestId('banner'), "Can't reach the server — retrying…", 10_000);
        // Said in words, not only by the dot's colour.
        await waitForText(page.getByTestId('transport'), 'Reconnecting…');
        assert.equal(await page.getByTestId('transport').getAttribute('data-state'), 'offline');

        // Written while the server is down: kept, and sent by itself once it is back.
        await sendMessage(page, 'written during the outage');
        await waitForText(page.getByTestId('message-user').nth(2).getByTestId('delivery-state'), 'Not sent');

        await server.restart();
        await page.getByTestId('banner').waitFor({ state: 'detached', timeout: 15_000 });
        await eventually(async () => {
          const view = await serverView(page, server.url, taskId);
          assert.equal(view.task.turns.length, 3);
        }, 10_000);

        await server.webhook({ taskId, response: 'answer after', messageId: `${transport}-a2` }, agent.token);
        await server.webhook({ taskId, response: 'and the last one', messageId: `${transport}-a3` }, agent.token);
        await waitForCount(page.getByTestId('message-agent'), 3, 10_000);
        await waitForCount(page.getByTestId('message-user'), 3);

        const users = await messageIds(page, 'user');
        const view = await serverView(page, server.url, taskId);
        assert.deepEqual(users, view.task.turns.map((t) => t.messageId), 'the page and the server agree, in order');
        assert.deepEqual(await messageIds(page, 'agent'), [`${transport}-a1`, `${transport}-a2`, `${transport}-a3`]);
        await eventually(async () => {
          const states = await page.getByTestId('delivery-state').allInnerTexts();
          assert.ok(states.every((s) => !s.startsWith('Not sent') && !s.startsWith('Sending')), states.join(' | '));
        });
        // Back to normal: the stream is live again; polling rests with nothing awaited.
        await waitForText(page.getByTestId('transport'), transport === 'sse' ? 'Live · SSE' : 'Idle · Polling 1s');
        assert.deepEqual(chat.pageErrors, []);
      } finally {
        await chat.close();
      }
    });
  }
});
