/**
 * Long waits never spin forever: the page says when the agent is slow, when the server gave up on
 * the turn, and stops checking by itself after a very long wait.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { browserSkip, ensurePageBuilt, launchBrowser, openChat } from '../support/browser.js';
import { startServer, type TestServer } from '../support/server.js';
import { pickAgent, readTaskId, sendMessage, waitForText } from './chat-helpers.js';

describe('chat page: long waits', { skip: browserSkip() }, () => {
  let browser: Browser;

  before(async () => {
    ensurePageBuilt();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
  });

  describe('with the default turn timeout', () => {
    let server: TestServer;
    let agent: AgentCredentials;

    before(async () => {
      server = await startServer();
      agent = await server.createAgent({ id: 'slow', name: 'Slow' });
    });

    after(async () => {
      await server?.stop();
    });

    for (const transport of ['sse', 'poll'] as const) {
      it(`says the agent is slow after 30 s; after 10 min polling stops, the stream keeps listening (${transport})`, async () => {
        const chat = await openChat(browser, server.url, {
          transport,
          beforeLoad: (page) => page.clock.install(),
        });
        try {
          const { page } = chat;
          await pickAgent(page, agent.id);
          await sendMessage(page, 'take your time');
          await readTaskId(page);
          await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
          assert.ok(!((await page.getByTestId('waiting').textContent()) ?? '').includes('Still waiting'));

          await page.clock.fastForward('00:31');
          await waitForText(page.getByTestId('waiting'), 'Still waiting — the agent is taking longer than usual');
          await waitForText(page.getByTestId('waiting'), /\.\.\.\s*3\ds/);

          await page.clock.fastForward('10:00');
          if (transport === 'poll') {
            await waitForText(page.getByTestId('waiting'), 'stopped checking');
            await page.locator('[data-testid="transport"][data-state="idle"]').waitFor();
          } else {
            await waitForText(page.getByTestId('waiting'), /\.\.\.\s*10m 3\ds/);
            assert.ok(!((await page.getByTestId('waiting').textContent()) ?? '').includes('stopped checking'));
            await page.locator('[data-testid="transport"][data-state="live"]').waitFor();
          }
        } finally {
          await chat.close();
        }
      });
    }
  });

  describe('when the server fails the turn', () => {
    let server: TestServer;
    let agent: AgentCredentials;

    before(async () => {
      server = await startServer({ env: { TURN_TIMEOUT_MS: '1000' } });
      agent = await server.createAgent({ id: 'silent', name: 'Silent' });
    });

    after(async () => {
      await server?.stop();
    });

    it('says so instead of waiting forever, and still shows a late answer', async () => {
      const chat = await openChat(browser, server.url, { transport: 'poll' });
      try {
        const { page } = chat;
        await pickAgent(page, agent.id);
        await sendMessage(page, 'hello?');
        const taskId = await readTaskId(page);
        await waitForText(page.getByTestId('delivery-state'), "The agent couldn't answer this message", 10_000);
        await page.getByTestId('waiting').waitFor({ state: 'detached' });

        const late = await server.webhook({ taskId, response: 'sorry, I was away', messageId: 'late' }, agent.token);
        assert.equal(late.status, 200);
        await page.getByTestId('refresh').click();
        await waitForText(page.getByTestId('message-agent'), 'sorry, I was away');
      } finally {
        await chat.close();
      }
    });
  });
});
