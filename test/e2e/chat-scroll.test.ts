/** Auto-scroll follows new messages unless the reader scrolled up; then "New messages" appears. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, eventually, openChat } from '../support/browser.js';
import { chatRig, pickAgent, readTaskId, sendMessage, waitForCount } from './chat-helpers.js';

const LONG = Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1} of a long answer.`).join('\n\n');

/** Distance in pixels between the bottom of the conversation and what is in view. */
function distanceFromBottom(page: Page): Promise<number> {
  return page.locator('main').evaluate((el) => {
    const m = el as unknown as { scrollHeight: number; scrollTop: number; clientHeight: number };
    return m.scrollHeight - m.scrollTop - m.clientHeight;
  });
}

describe('chat page: scrolling', { skip: browserSkip() }, () => {
  const rig = chatRig({ id: 'scroller', name: 'Scroller' });

  it('follows new answers at the bottom, and offers "New messages" after scrolling up', async () => {
    const chat = await openChat(rig.browser, rig.server.url, { viewport: { width: 800, height: 600 } });
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'Give me a long answer');
      const taskId = await readTaskId(page);
      for (let i = 1; i <= 3; i++) {
        await rig.server.webhook({ taskId, response: LONG, messageId: `long-${i}`, final: i === 3 }, rig.agent.token);
        await waitForCount(page.getByTestId('message-agent'), i);
        await eventually(async () => assert.ok((await distanceFromBottom(page)) < 2, 'scrolled to the newest'));
      }
      assert.equal(await page.getByTestId('new-messages').count(), 0);

      // The reader scrolls up to read: the next answer must not yank them down.
      await page.locator('main').hover();
      await page.mouse.wheel(0, -1500);
      await eventually(async () => assert.ok((await distanceFromBottom(page)) > 500));
      const readingAt = await page.locator('main').evaluate((el) => (el as unknown as { scrollTop: number }).scrollTop);
      await rig.server.webhook({ taskId, response: 'An extra note', messageId: 'extra' }, rig.agent.token);
      await page.getByTestId('new-messages').waitFor();
      const stillAt = await page.locator('main').evaluate((el) => (el as unknown as { scrollTop: number }).scrollTop);
      assert.equal(stillAt, readingAt, 'the view stayed where the reader was');

      await page.getByTestId('new-messages').click();
      await eventually(async () => assert.ok((await distanceFromBottom(page)) < 2));
      await page.getByTestId('new-messages').waitFor({ state: 'detached' });

      // Their own message always brings them to the bottom.
      await page.mouse.wheel(0, -1500);
      await eventually(async () => assert.ok((await distanceFromBottom(page)) > 500));
      await sendMessage(page, 'thanks');
      await eventually(async () => assert.ok((await distanceFromBottom(page)) < 2));
    } finally {
      await chat.close();
    }
  });
});
