/**
 * What people with a keyboard, a screen reader or a dark OS theme get: a visible focus ring on
 * every control reached by Tab, controls that work with Enter and Space, text a screen reader
 * can read, and colours that follow the OS setting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, eventually, openChat } from '../support/browser.js';
import { chatRig, pickAgent, readTaskId, sendMessage, waitForText } from './chat-helpers.js';

interface Ring {
  outlineStyle: string;
  outlineWidth: string;
  boxShadow: string;
}

/** The focus indication drawn on `selector` (default: the focused element). */
async function ring(page: Page, selector?: string): Promise<Ring> {
  const target = selector ? `document.querySelector(${JSON.stringify(selector)})` : 'document.activeElement';
  return (await page.evaluate(`(() => {
    const style = getComputedStyle(${target});
    return { outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth, boxShadow: style.boxShadow };
  })()`)) as Ring;
}

function visible(r: Ring): boolean {
  return (r.outlineStyle !== 'none' && parseFloat(r.outlineWidth) >= 2) || r.boxShadow !== 'none';
}

/** Presses Tab until the element with `testId` has the focus. */
async function tabTo(page: Page, testId: string): Promise<void> {
  const passed: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const at = (await page.evaluate('document.activeElement?.dataset?.testid ?? document.activeElement?.tagName')) as string;
    if (at === testId) return;
    passed.push(at);
  }
  assert.fail(`Tab never reached ${testId}: ${passed.join(' → ')}`);
}

/** WCAG relative luminance of a computed `rgb(r, g, b)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

describe('chat page: keyboard, screen readers, dark mode', { skip: browserSkip() }, () => {
  const rig = chatRig({ id: 'access', name: 'Access' });

  it('Tab reaches Copy and Refresh with a visible focus ring; Space copies and Enter refreshes', async () => {
    const chat = await openChat(rig.browser, rig.server.url, { permissions: ['clipboard-read', 'clipboard-write'] });
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'keyboard only');
      const taskId = await readTaskId(page);
      await page.getByTestId('agent-select').focus();

      await tabTo(page, 'copy-task-id');
      const copyRing = await ring(page);
      assert.ok(visible(copyRing), `Copy shows its focus: ${JSON.stringify(copyRing)}`);
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: 'Task ID copied' }).waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), taskId);

      await tabTo(page, 'refresh');
      const refreshRing = await ring(page);
      assert.ok(visible(refreshRing), `Refresh shows its focus: ${JSON.stringify(refreshRing)}`);
      const read = page.waitForRequest((r) => r.url().includes(`/api/communications/get-responses?taskId=${taskId}`) && !r.url().includes('wait='));
      await page.keyboard.press('Enter');
      await read;
      await page.locator('[data-testid="refresh"][aria-busy="false"]').waitFor();
      assert.equal(await page.evaluate('document.activeElement?.dataset?.testid'), 'refresh', 'the focus stays on Refresh');
      assert.deepEqual(chat.pageErrors, []);
    } finally {
      await chat.close();
    }
  });

  it('the composer shows a 2 px focus ring around its box', async () => {
    const chat = await openChat(rig.browser, rig.server.url);
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await page.getByTestId('agent-select').focus();
      await tabTo(page, 'composer');
      const box = await ring(page, '.composer');
      assert.equal(box.outlineStyle, 'solid', JSON.stringify(box));
      assert.equal(box.outlineWidth, '2px');
    } finally {
      await chat.close();
    }
  });

  it('the waiting time is read out as text, not through a label screen readers ignore', async () => {
    const chat = await openChat(rig.browser, rig.server.url);
    try {
      const { page } = chat;
      await pickAgent(page, rig.agent.id);
      await sendMessage(page, 'how long?');
      await readTaskId(page);
      const waiting = page.getByTestId('waiting');
      await waitForText(waiting, 'Waiting for agent response...');
      await eventually(async () => assert.match(await waiting.ariaSnapshot(), /Waited \d+s/));
      // aria-label only names elements with a role; on a plain span or div it is never read.
      const ignored = await waiting.evaluate((root) =>
        [...(root as unknown as { querySelectorAll(s: string): Iterable<{ tagName: string; outerHTML: string }> }).querySelectorAll(
          'span[aria-label]:not([role]), div[aria-label]:not([role]), p[aria-label]:not([role])',
        )].map((el) => el.outerHTML),
      );
      assert.deepEqual(ignored, []);
    } finally {
      await chat.close();
    }
  });

  it('dark mode follows the OS setting', async () => {
    const colours = async (colorScheme: 'light' | 'dark'): Promise<{ background: string; text: string }> => {
      const chat = await openChat(rig.browser, rig.server.url, { colorScheme });
      try {
        await pickAgent(chat.page, rig.agent.id);
        return (await chat.page.evaluate(
          `(() => { const s = getComputedStyle(document.body); return { background: s.backgroundColor, text: s.color }; })()`,
        )) as { background: string; text: string };
      } finally {
        await chat.close();
      }
    };
    const light = await colours('light');
    const dark = await colours('dark');
    assert.notEqual(light.background, dark.background);
    assert.ok(luminance(light.background) > 0.8, `a light page in light mode: ${light.background}`);
    assert.ok(luminance(dark.background) < 0.05, `a dark page in dark mode: ${dark.background}`);
    assert.ok(luminance(dark.text) > luminance(dark.background), `light text on the dark page: ${dark.text}`);
    assert.ok(luminance(light.text) < luminance(light.background), `dark text on the light page: ${light.text}`);
  });
});
