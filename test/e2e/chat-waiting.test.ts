/**
 * Long waits never spin forever: the page says when the agent is slow, when the server gave up on
 * the turn, and stops checking by itself after a very long wait. Both deadlines come from the
 * server (STILL_WAITING_MS, TURN_TIMEOUT_MS).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { browserSkip, ensurePageBuilt, launchBrowser, openChat } from '../support/browser.js';
import { startServer, type TestServer } from '../support/server.js';
import { pickAgent, readTaskId, sendMessage, serverView, waitForText } from './chat-helpers.js';

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
      it(`says the agent is slow after 30 s; a minute after the 10 min turn timeout polling stops, the stream keeps listening (${transport})`, async () => {
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
          await waitForText(page.getByTestId('waiting'), /Waited 3\ds/);

          // The server fails the turn at 10 min; polling goes on long enough to hear it.
          await page.clock.fastForward('10:00');
          await waitForText(page.getByTestId('waiting'), /Waited 10m 3\ds/);
          assert.ok(!((await page.getByTestId('waiting').textContent()) ?? '').includes('stopped checking'));

          await page.clock.fastForward('01:00');
          if (transport === 'poll') {
            await waitForText(page.getByTestId('waiting'), 'stopped checking');
            await page.locator('[data-testid="transport"][data-state="idle"]').waitFor();
            await waitForText(page.getByTestId('transport'), 'Idle · Polling 1s');
          } else {
            await waitForText(page.getByTestId('waiting'), /Waited 11m 3\ds/);
            assert.ok(!((await page.getByTestId('waiting').textContent()) ?? '').includes('stopped checking'));
            await page.locator('[data-testid="transport"][data-state="live"]').waitFor();
            await waitForText(page.getByTestId('transport'), 'Live · SSE');
          }
        } finally {
          await chat.close();
        }
      });
    }
  });

  describe('with STILL_WAITING_MS=2000 and TURN_TIMEOUT_MS=300000', () => {
    let server: TestServer;
    let agent: AgentCredentials;

    before(async () => {
      server = await startServer({ env: { STILL_WAITING_MS: '2000', TURN_TIMEOUT_MS: '300000' } });
      agent = await server.createAgent({ id: 'configured', name: 'Configured' });
    });

    after(async () => {
      await server?.stop();
    });

    it('says "still waiting" after 2 s, and polling stops a minute after the 5 min turn timeout', async () => {
      const chat = await openChat(browser, server.url, { transport: 'poll', beforeLoad: (page) => page.clock.install() });
      try {
        const { page } = chat;
        const waiting = page.getByTestId('waiting');
        await pickAgent(page, agent.id);
        await sendMessage(page, 'are you slow?');
        const taskId = await readTaskId(page);
        const { task } = await serverView(page, server.url, taskId);
        assert.equal(task.stillWaitingAfterMs, 2000);
        assert.equal(task.turnTimeoutMs, 300_000);

        await page.clock.fastForward(1000);
        await waitForText(waiting, /Waited 1s/);
        assert.ok(!((await waiting.textContent()) ?? '').includes('Still waiting'), 'not after 1 s');
        await page.clock.fastForward(1500);
        await waitForText(waiting, 'Still waiting — the agent is taking longer than usual');

        await page.clock.fastForward('05:00');
        await waitForText(waiting, /Waited 5m 0\ds/);
        assert.ok(!((await waiting.textContent()) ?? '').includes('stopped checking'), 'still checking at 5 min');
        await page.clock.fastForward('01:00');
        await waitForText(waiting, 'stopped checking');
      } finally {
        await chat.close();
      }
    });
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
