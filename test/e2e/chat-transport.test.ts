/**
 * How answers reach the page: pushed over SSE by default, long-poll or 1 s polling when forced,
 * and a fallback when the stream is blocked. Only the "within 200 ms with push on" is
 * timed; the other modes are checked by what they do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page, Request, Response } from 'playwright-core';
import {
  answerSeenAt,
  browserSkip,
  eventually,
  openChat,
  recordAnswerTimes,
} from '../support/browser.js';
import { chatRig, pickAgent, readTaskId, sendMessage, serverView, waitForText } from './chat-helpers.js';

const GET_RESPONSES = '/api/communications/get-responses';

/** The get-responses reply that carries `messageId`, once one does. */
function replyCarrying(page: Page, messageId: string): Promise<Response> {
  return page.waitForResponse(
    async (r) => r.url().includes(GET_RESPONSES) && (await r.text().catch(() => '')).includes(`"${messageId}"`),
    { timeout: 10_000 },
  );
}

/** get-responses requests the page has sent and not yet seen answered. */
function trackInFlight(page: Page): Set<Request> {
  const open = new Set<Request>();
  page.on('request', (r) => r.url().includes(GET_RESPONSES) && open.add(r));
  page.on('requestfinished', (r) => open.delete(r));
  page.on('requestfailed', (r) => open.delete(r));
  return open;
}

// Browser-side, as a string: the repo's tsconfig has no DOM library. Records each get-responses
// call with the page's own (fake, under page.clock) time.
const RECORD_POLLS = `(() => {
  const polls = (window.__polls = []);
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.includes('${GET_RESPONSES}')) polls.push({ at: Date.now(), url: new URL(url, location.href).href });
    return fetch.call(this, input, init);
  };
})()`;

interface Poll {
  at: number;
  url: string;
}

describe('chat page: transports', { skip: browserSkip() }, () => {
  const rig = chatRig({ id: 'fast', name: 'Fast' });

  it('with push on (SSE, the default) an answer appears within 200 ms of the webhook', async () => {
    const chat = await openChat(rig.browser, rig.server.url);
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await waitForText(page.getByTestId('transport'), 'Idle · SSE');
      await sendMessage(page, 'quick!');
      const taskId = await readTaskId(page);
      await recordAnswerTimes(page);
      // Let the stream connect first, so only delivery is timed.
      await page.locator('[data-testid="transport"][data-state="live"]').waitFor();
      await waitForText(page.getByTestId('transport'), 'Live · SSE');
      for (let i = 1; i <= 3; i++) {
        const postedAt = Date.now();
        const res = await rig.server.webhook({ taskId, response: `answer ${i}`, messageId: `sse-${i}`, final: i === 3 }, rig.agent.token);
        assert.equal(res.status, 200);
        const seenAt = await answerSeenAt(page, `sse-${i}`);
        assert.ok(seenAt - postedAt <= 200, `answer ${i} took ${seenAt - postedAt} ms`);
      }
      await waitForText(page.getByTestId('transport'), 'Live · SSE');
    } finally {
      await chat.close();
    }
  });

  it('falls back to long-poll when the stream is blocked, and the answer arrives without Refresh', async () => {
    const chat = await openChat(rig.browser, rig.server.url, {
      beforeLoad: (page) => page.route('**/api/communications/stream**', (route) => route.abort()),
    });
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'is anybody there?');
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('transport'), 'Live · Long-poll');
      // The reachable server must not be reported as down.
      assert.equal(await page.getByTestId('banner').count(), 0);
      const carried = replyCarrying(page, 'lp-1');
      await rig.server.webhook({ taskId, response: 'yes, over long-poll', messageId: 'lp-1' }, rig.agent.token);
      const reply = await carried;
      assert.equal(new URL(reply.url()).searchParams.get('wait'), '25', 'a long-poll brought it');
      await waitForText(page.getByTestId('message-agent'), 'yes, over long-poll');
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
      await waitForText(page.getByTestId('transport'), 'Live · Polling 1s', 10_000);
      await rig.server.webhook({ taskId, response: 'polled in the end', messageId: 'fb-1' }, rig.agent.token);
      await waitForText(page.getByTestId('message-agent'), 'polled in the end', 5000);
      assert.equal(await page.getByTestId('banner').count(), 0);
      await waitForText(page.getByTestId('transport'), 'Idle · Polling 1s');
    } finally {
      await chat.close();
    }
  });

  it('?transport=longpoll holds a request open until the answer lands', async () => {
    const chat = await openChat(rig.browser, rig.server.url, { transport: 'longpoll' });
    try {
      const { page } = chat;
      const streams: string[] = [];
      page.on('request', (r) => r.url().includes('/stream') && streams.push(r.url()));
      const inFlight = trackInFlight(page);
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'hold on');
      const taskId = await readTaskId(page);
      await waitForText(page.getByTestId('delivery-state'), 'Sent');
      await waitForText(page.getByTestId('transport'), 'Live · Long-poll');
      // A request that asks for what the page already has is one the server holds.
      const { task, cursor } = await serverView(page, rig.server.url, taskId);
      const held = await eventually(() => {
        const match = [...inFlight].find((r) => {
          const q = new URL(r.url()).searchParams;
          return q.get('wait') === '25' && q.get('version') === String(task.version) && q.get('after') === String(cursor);
        });
        if (!match) throw new Error('no held long-poll yet');
        return match;
      });
      const carried = replyCarrying(page, 'lp-2');
      await rig.server.webhook({ taskId, response: 'held and answered', messageId: 'lp-2' }, rig.agent.token);
      assert.equal((await carried).request(), held, 'the held request brought the answer');
      await waitForText(page.getByTestId('message-agent'), 'held and answered');
      assert.deepEqual(streams, [], 'a forced mode never opens the stream');
    } finally {
      await chat.close();
    }
  });

  for (const blocked of [false, true]) {
    it(`a message the agent sends on its own shows without Refresh (${blocked ? 'stream blocked: long-poll' : 'SSE'})`, async () => {
      const chat = await openChat(rig.browser, rig.server.url, {
        beforeLoad: blocked ? (page) => page.route('**/api/communications/stream**', (route) => route.abort()) : undefined,
      });
      try {
        const { page } = chat;
        await pickAgent(page, rig.agent.id);
        await sendMessage(page, 'hello');
        const taskId = await readTaskId(page);
        await rig.server.webhook({ taskId, response: 'hi there', messageId: `pro-${blocked}-1` }, rig.agent.token);
        await waitForText(page.getByTestId('message-agent'), 'hi there');
        await page.getByTestId('waiting').waitFor({ state: 'detached' });
        await waitForText(page.getByTestId('transport'), blocked ? 'Live · Long-poll' : 'Live · SSE');

        // Nothing is awaited now: this one is proactive.
        const res = await rig.server.webhook({ taskId, response: 'By the way: your report is ready.', messageId: `pro-${blocked}-2` }, rig.agent.token);
        assert.equal(res.status, 200);
        await waitForText(page.getByTestId('message-agent').nth(1), 'By the way: your report is ready.', 10_000);
        await waitForText(page.getByTestId('transport'), blocked ? 'Live · Long-poll' : 'Live · SSE');
      } finally {
        await chat.close();
      }
    });
  }

  it('?transport=poll polls get-responses once a second with the cursor, and stops after the final answer', async () => {
    const chat = await openChat(rig.browser, rig.server.url, {
      transport: 'poll',
      beforeLoad: async (page) => {
        await page.clock.install();
        await page.addInitScript(RECORD_POLLS);
      },
    });
    try {
      const { page } = chat;
      const inFlight = trackInFlight(page);
      const polls = async (): Promise<Poll[]> => (await page.evaluate('window.__polls')) as Poll[];
      // Moves the page's stopped clock forward in small steps, letting each poll finish in between.
      const advance = async (ms: number): Promise<void> => {
        for (let done = 0; done < ms; done += 100) {
          await eventually(() => inFlight.size === 0);
          await page.clock.runFor(100);
        }
        await eventually(() => inFlight.size === 0);
      };

      await waitForText(page.getByTestId('transport'), 'Idle · Polling 1s');
      await pickAgent(page, rig.agent.id);
      await page.clock.pauseAt(Date.now() + 1000);
      await sendMessage(page, 'poll me');
      const taskId = await readTaskId(page);
      await eventually(async () => (await polls()).length === 1);
      const start = (await polls())[0]!.at;

      // Each 1 s step of the page's clock brings exactly one poll.
      for (let second = 1; second <= 4; second++) {
        await advance(1000);
        const inStep = (await polls()).filter((p) => p.at > start + (second - 1) * 1000 && p.at <= start + second * 1000);
        assert.equal(inStep.length, 1, `one poll in second ${second}`);
      }
      await waitForText(page.getByTestId('transport'), 'Live · Polling 1s');

      await rig.server.webhook({ taskId, response: 'first part', messageId: 'pp-1', final: false }, rig.agent.token);
      await advance(1000);
      await waitForText(page.getByTestId('message-agent'), 'first part');
      await rig.server.webhook({ taskId, response: 'done', messageId: 'pp-2' }, rig.agent.token);
      await advance(1000);
      await waitForText(page.getByTestId('message-agent').nth(1), 'done');
      await page.getByTestId('waiting').waitFor({ state: 'detached' });

      const seen = await polls();
      assert.deepEqual(
        seen.map((p) => p.at - start),
        seen.map((_, i) => i * 1000),
        'a poll every 1000 ms of the page clock',
      );
      const urls = seen.map((p) => new URL(p.url));
      assert.ok(urls.every((u) => u.searchParams.get('taskId') === taskId && !u.searchParams.has('wait')));
      assert.equal(Number(urls[0]!.searchParams.get('after')), 0);
      assert.ok(Number(urls.at(-1)!.searchParams.get('after')) > 0, 'later polls pass the cursor');

      // The final answer ended the polling: five more seconds bring no request.
      await page.locator('[data-testid="transport"][data-state="idle"]').waitFor();
      await advance(5000);
      assert.equal((await polls()).length, seen.length, 'no poll after the final answer');
      await page.getByTestId('refresh').click();
      await eventually(async () => (await polls()).length === seen.length + 1);
      await advance(3000);
      assert.equal((await polls()).length, seen.length + 1, 'only the Refresh request');
    } finally {
      await chat.close();
    }
  });
});
