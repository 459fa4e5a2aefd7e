/**
 * How answers reach the page: pushed over SSE by default, long-poll or 1 s polling when forced,
 * and a fallback when the stream is blocked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  answerSeenAt,
  browserSkip,
  eventually,
  openChat,
  recordAnswerTimes,
} from '../support/browser.js';
import { chatRig, pickAgent, readTaskId, sendMessage, waitForText } from './chat-helpers.js';

describe('chat page: transports', { skip: browserSkip() }, () => {
  const rig = chatRig({ id: 'fast', name: 'Fast' });

  it('with push on (SSE, the default) an answer appears within 200 ms of the webhook', async () => {
    const chat = await openChat(rig.browser, rig.server.url);
    try {
      const { page } = chat;
      await waitForText(page.getByTestId('transport'), 'Live (SSE)');
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'quick!');
      const taskId = await readTaskId(page);
      await recordAnswerTimes(page);
      // Let the stream connect first, so only delivery is timed.
      await page.locator('[data-testid="transport"][data-state="live"]').waitFor();
      for (let i = 1; i <= 3; i++) {
        const postedAt = Date.now();
        const res = await rig.server.webhook({ taskId, response: `answer ${i}`, messageId: `sse-${i}`, final: i === 3 }, rig.agent.token);
        assert.equal(res.status, 200);
        const seenAt = await answerSeenAt(page, `sse-${i}`);
        assert.ok(seenAt - postedAt <= 200, `answer ${i} took ${seenAt - postedAt} ms`);
      }
      await waitForText(page.getByTestId('transport'), 'Live (SSE)');
    } finally {
      await chat.close();
    }
  });

  it('falls back to long-poll when the stream is blocked, and still gets the answer', async () => {
    const chat = await openChat(rig.browser, rig.server.url, {
      beforeLoad: (page) => page.route('**/api/communications/stream**', (route) => route.abort()),
    });
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'is anybody there?');
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('transport'), 'Long-poll');
      // The reachable server must not be reported as down.
      assert.equal(await page.getByTestId('banner').count(), 0);
      await recordAnswerTimes(page);
      const postedAt = Date.now();
      await rig.server.webhook({ taskId, response: 'yes, over long-poll', messageId: 'lp-1' }, rig.agent.token);
      const seenAt = await answerSeenAt(page, 'lp-1');
      assert.ok(seenAt - postedAt <= 500, `long-poll answer took ${seenAt - postedAt} ms`);
      await page.getByTestId('waiting').waitFor({ state: 'detached' });
    } finally {
      await chat.close();
    }
  });

  it('falls back to 1 s polling when long-polls are not held either (a proxy that answers at once)', async () => {
    const chat = await openChat(rig.browser, rig.server.url, {
      beforeLoad: async (page) => {
        await page.route('**/api/communications/stream**', (route) => route.abort());
        // Strip `wait`, as a buffering proxy that cannot hold requests effectively does.
        await page.route('**/api/communications/get-responses**', (route) => {
          const url = new URL(route.request().url());
          url.searchParams.delete('wait');
          return route.continue({ url: url.toString() });
        });
      },
    });
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'anyone?');
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('transport'), 'Polling 1s', 10_000);
      await rig.server.webhook({ taskId, response: 'polled in the end', messageId: 'fb-1' }, rig.agent.token);
      await waitForText(page.getByTestId('message-agent'), 'polled in the end', 2000);
      assert.equal(await page.getByTestId('banner').count(), 0);
    } finally {
      await chat.close();
    }
  });

  it('?transport=longpoll holds requests open and delivers at once', async () => {
    const chat = await openChat(rig.browser, rig.server.url, { transport: 'longpoll' });
    try {
      const { page } = chat;
      await waitForText(page.getByTestId('transport'), 'Long-poll');
      const streams: string[] = [];
      const holds: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/stream')) streams.push(r.url());
        if (r.url().includes('wait=25')) holds.push(r.url());
      });
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'hold on');
      const taskId = await readTaskId(page);
      await eventually(() => holds.length > 0);
      await page.locator('[data-testid="transport"][data-state="live"]').waitFor();
      await recordAnswerTimes(page);
      const postedAt = Date.now();
      await rig.server.webhook({ taskId, response: 'held and answered', messageId: 'lp-2' }, rig.agent.token);
      const seenAt = await answerSeenAt(page, 'lp-2');
      assert.ok(seenAt - postedAt <= 500, `took ${seenAt - postedAt} ms`);
      assert.deepEqual(streams, [], 'a forced mode never opens the stream');
    } finally {
      await chat.close();
    }
  });

  it('?transport=poll polls get-responses every second with the cursor, and stops after the final answer', async () => {
    const chat = await openChat(rig.browser, rig.server.url, { transport: 'poll' });
    try {
      const { page } = chat;
      await waitForText(page.getByTestId('transport'), 'Polling 1s');
      const polls: { at: number; url: URL }[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/get-responses')) polls.push({ at: Date.now(), url: new URL(r.url()) });
      });
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'poll me');
      const taskId = await readTaskId(page);
      await eventually(() => polls.length >= 2, 3000);
      await rig.server.webhook({ taskId, response: 'first part', messageId: 'pp-1', final: false }, rig.agent.token);
      await waitForText(page.getByTestId('message-agent'), 'first part');
      await rig.server.webhook({ taskId, response: 'done', messageId: 'pp-2' }, rig.agent.token);
      await waitForText(page.getByTestId('message-agent').nth(1), 'done');
      await page.getByTestId('waiting').waitFor({ state: 'detached' });

      assert.ok(polls.every((p) => p.url.searchParams.get('taskId') === taskId && !p.url.searchParams.has('wait')));
      const gaps = polls.slice(1).map((p, i) => p.at - (polls[i]?.at ?? 0));
      // Seen from the test, through the rig.browser's event queue: a little jitter either way.
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      assert.ok(gaps.every((g) => g >= 750 && g <= 1300) && mean >= 900 && mean <= 1150, `polls about 1 s apart: ${gaps.join(', ')}`);
      const cursors = polls.map((p) => Number(p.url.searchParams.get('after')));
      assert.equal(cursors[0], 0);
      assert.ok(cursors.at(-1)! > 0, 'later polls pass the cursor');
      // The poller has exited: the indicator goes idle and no poll is pending.
      await page.locator('[data-testid="transport"][data-state="idle"]').waitFor();
      const stoppedAt = Date.now();
      await page.getByTestId('refresh').click();
      await eventually(() => polls.some((p) => p.at >= stoppedAt));
      assert.equal(polls.filter((p) => p.at >= stoppedAt).length, 1, 'only the Refresh request');
    } finally {
      await chat.close();
    }
  });
});
