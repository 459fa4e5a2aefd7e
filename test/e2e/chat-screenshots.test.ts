/**
 * Screenshots of the main states, for people to look at: test-artifacts/screenshots/*.png
 * (gitignored). Each also checks the state it shows, so a broken page fails here too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, openChat, screenshot, type ChatPageOptions } from '../support/browser.js';
import { chatRig, pickAgent, readTaskId, sendMessage, waitForCount, waitForText } from './chat-helpers.js';

const ANSWER = [
  'Sure — here is how to answer a task from your backend:',
  '',
  '1. Read the `taskId` from the task webhook.',
  '2. Do the work.',
  '3. POST the answer back:',
  '',
  '```bash',
  'curl -X POST http://localhost:3000/api/communications/webhook-response \\',
  '  -H "Authorization: Bearer $AGENT_TOKEN" \\',
  `  -d '{"taskId": "task_…", "response": "Done!"}'`,
  '```',
  '',
  'More in [the docs](https://example.com/docs).',
].join('\n');

describe('chat page: screenshots', { skip: browserSkip() }, () => {
  const rig = chatRig({ id: 'assistant', name: 'Assistant', description: 'Answers questions about the webhook API.' });

  async function conversation(page: Page): Promise<string> {
    await pickAgent(page, rig.agent.id);
    await sendMessage(page, 'How does my backend answer a task?');
    const taskId = await readTaskId(page);
    await rig.server.webhook({ taskId, response: ANSWER, messageId: 'shot-1' }, rig.agent.token);
    await page.getByTestId('message-agent').locator('.markdown').waitFor();
    await sendMessage(page, 'Thanks! And if my backend is down for a while?');
    await waitForText(page.getByTestId('waiting'), 'Waiting for agent response...');
    await rig.server.webhook({ taskId, status: 'working', statusText: 'Looking up the retry schedule…' }, rig.agent.token);
    await page.getByTestId('agent-status').waitFor();
    return taskId;
  }

  async function shoot(name: string, options: ChatPageOptions, steps: (page: Page) => Promise<void>): Promise<void> {
    const chat = await openChat(rig.browser, rig.server.url, options);
    try {
      await steps(chat.page);
      // Move the pointer away so no hover state shows.
      await chat.page.mouse.move(0, 0);
      await screenshot(chat.page, name);
      assert.deepEqual(chat.pageErrors, []);
    } finally {
      await chat.close();
    }
  }

  it('empty', () =>
    shoot('01-empty', {}, async (page) => {
      await pickAgent(page, rig.agent.id);
      await waitForText(page.getByTestId('task-id'), 'New chat');
      await page.getByTestId('composer').focus();
    }));

  it('waiting', () =>
    shoot('02-waiting', {}, async (page) => {
      await conversation(page);
    }));

  it('answered', () =>
    shoot('03-answered', {}, async (page) => {
      const taskId = await conversation(page);
      await rig.server.webhook(
        { taskId, response: 'Deliveries are retried with backoff: **5 s, 5 min, 30 min, 2 h, 5 h, 10 h**. Nothing is lost.' },
        rig.agent.token,
      );
      await waitForCount(page.getByTestId('message-agent'), 2);
      await page.getByTestId('waiting').waitFor({ state: 'detached' });
    }));

  it('error', () =>
    shoot('04-error', {}, async (page) => {
      await pickAgent(page, rig.agent.id);
      await page.route('**/api/**', (route) => route.abort('connectionrefused'));
      await sendMessage(page, 'Is anyone there?');
      await waitForText(page.getByTestId('banner'), "Can't reach the server");
      await waitForText(page.getByTestId('delivery-state'), 'Not sent');
    }));

  it('dark, 360 px wide', () =>
    shoot('05-dark-360', { viewport: { width: 360, height: 740 }, colorScheme: 'dark' }, async (page) => {
      await conversation(page);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.equal(overflow, 0, 'nothing sticks out sideways at 360 px');
    }));

  it('dark, empty, 360 px wide', () =>
    shoot('06-dark-360-empty', { viewport: { width: 360, height: 740 }, colorScheme: 'dark' }, async (page) => {
      await pickAgent(page, rig.agent.id);
    }));

  it('dark, desktop', () =>
    shoot('07-dark-desktop', { colorScheme: 'dark' }, async (page) => {
      const taskId = await conversation(page);
      await rig.server.webhook({ taskId, response: 'Deliveries are retried with backoff. Nothing is lost.' }, rig.agent.token);
      await waitForCount(page.getByTestId('message-agent'), 2);
    }));
});
