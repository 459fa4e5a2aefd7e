/**
 * The operator page (/admin) in Chromium: it refuses its data without the admin token, lists tasks
 * and their deliveries with it, and a dead letter's Replay button delivers it once the agent is
 * healthy again. Screenshots go to test-artifacts/screenshots/admin-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, eventually, launchBrowser, screenshot } from '../support/browser.js';
import { startAgentServer, type TestAgentServer } from '../support/agent-server.js';
import { Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';

const DEAD_LETTER = 'HTTP 500 (gave up after 2 attempts)';

async function cellsOf(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(`${selector} td`).allInnerTexts()).map((text) => text.trim());
}

describe('operator page', { skip: browserSkip() }, () => {
  let browser: Browser;
  let server: TestServer;
  let agentServer: TestAgentServer;

  before(async () => {
    browser = await launchBrowser();
    agentServer = await startAgentServer({ status: 500 });
    // One retry, 50 ms after the first attempt: a failing agent is dead-lettered at once.
    server = await startServer({ env: { DELIVERY_RETRY_SCHEDULE: '50ms', DELIVERY_LEASE_MS: '1000' } });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await agentServer?.close();
  });

  it('refuses the data without the token; with it, lists tasks and deliveries and replays a dead letter', async () => {
    const agent = await server.createAgent({ name: 'Flaky agent', endpointUrl: agentServer.url });
    const session = new Session(server.url);
    const adminApi = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    const deliveryOf = async (taskId: string) =>
      ((await (await adminApi(`/api/admin/deliveries?taskId=${taskId}`)).json()) as { deliveries: Array<{ id: string; state: string }> }).deliveries[0];

    agentServer.script.push({ status: 200 });
    const healthy = await session.send(agent.id, 'This one arrives');
    await eventually(async () => assert.equal((await deliveryOf(healthy.body.taskId))?.state, 'delivered'));
    const failing = await session.send(agent.id, 'This one is dead-lettered');
    const dead = await eventually(async () => {
      const d = await deliveryOf(failing.body.taskId);
      assert.equal(d?.state, 'failed');
      return d as { id: string };
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: 'light' });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      // CSP violations are reported as console errors.
      page.on('console', (message) => {
        if (message.type() === 'error' && !/401/.test(message.text())) problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));

      const response = await page.goto(`${server.url}/admin`);
      const csp = String(response?.headers()['content-security-policy']);
      assert.match(csp, /script-src 'self'(;|$)/, `the page runs no inline script: ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

      // Without the token the API refuses the data, and so does the page with a wrong one.
      const anonymous = await page.request.get(`${server.url}/api/admin/tasks`);
      assert.equal(anonymous.status(), 401);
      assert.equal(((await anonymous.json()) as { tasks?: unknown }).tasks, undefined);
      assert.equal((await page.request.get(`${server.url}/api/admin/deliveries`)).status(), 401);
      await page.locator('#token').fill('not-the-admin-token');
      await page.getByRole('button', { name: 'Load' }).click();
      await eventually(async () => assert.match(await page.locator('#status').innerText(), /ADMIN_TOKEN/));
      assert.equal(await page.locator('#task-rows tr').count(), 0);
      assert.equal(await page.locator('#delivery-rows tr').count(), 0);

      await page.locator('#token').fill(server.adminToken);
      await page.getByRole('button', { name: 'Load' }).click();
      const taskRow = `#task-rows tr[data-task-id="${failing.body.taskId}"]`;
      await page.locator(taskRow).waitFor();
      assert.deepEqual(
        await page.locator('#task-rows tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-task-id'))),
        [failing.body.taskId, healthy.body.taskId],
        'newest task first',
      );
      const [, taskId, agentId, state, turns] = await cellsOf(page, taskRow);
      assert.deepEqual([taskId, agentId, state, turns], [failing.body.taskId, agent.id, 'failed', '1']);

      // A task's Deliveries button narrows the deliveries to that task.
      await page.locator(taskRow).getByRole('button', { name: 'Deliveries' }).click();
      await eventually(async () => assert.equal(await page.locator('#delivery-rows tr').count(), 1));
      await eventually(async () => assert.equal(await page.locator('#task-filter').innerText(), `of task ${failing.body.taskId}`));
      const deliveryRow = `#delivery-rows tr[data-delivery-id="${dead.id}"]`;
      const [, , , event, mode, deliveryState, attempts, next, lastError] = await cellsOf(page, deliveryRow);
      assert.deepEqual([event, mode, deliveryState, attempts, next, lastError], ['task.message', 'push', 'failed', '2', '', DEAD_LETTER]);
      await page.mouse.move(0, 0);
      await screenshot(page, 'admin-01-dead-letter');

      agentServer.fallback = { status: 200 };
      await page.locator(deliveryRow).getByRole('button', { name: 'Replay' }).click();
      await eventually(async () => assert.equal((await deliveryOf(failing.body.taskId))?.state, 'delivered'), 5000);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await eventually(async () => {
        const [, , , , , stateNow, attemptsNow] = await cellsOf(page, deliveryRow);
        assert.deepEqual([stateNow, attemptsNow], ['delivered', '1'], 'a replay starts a fresh schedule');
        assert.equal((await cellsOf(page, taskRow))[3], 'delivered');
      });
      assert.equal(await page.locator(deliveryRow).getByRole('button', { name: 'Replay' }).count(), 0, 'nothing left to replay');
      await page.mouse.move(0, 0);
      await screenshot(page, 'admin-02-replayed');

      // The agent got the same webhook-id on every attempt, the replay included.
      const hits = agentServer.received.filter((r) => r.body.taskId === failing.body.taskId);
      assert.equal(hits.length, 3);
      assert.equal(new Set(hits.map((hit) => hit.headers['webhook-id'])).size, 1);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
