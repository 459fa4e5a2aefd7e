// Observability: /metrics (Prometheus), /healthz and /readyz, and logs that are pino JSON with a
// request id and never contain a credential or a message body.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { startAgentServer, type TestAgentServer } from '../support/agent-server.js';
import { Session, eventually } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { openSse, parseMetrics, signedHeaders } from './helpers.js';

const WEBHOOK = '/api/communications/webhook-response';

async function scrape(server: TestServer) {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const samples = parseMetrics(await response.text());
  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  return { samples, value };
}

function sessionCookie(session: Session): string {
  return (session as unknown as { cookie: string }).cookie;
}

describe('metrics and health', () => {
  let server: TestServer;
  let hook: TestAgentServer;
  let pushAgent: AgentCredentials;
  let pullAgent: AgentCredentials;
  let page: Session;

  before(async () => {
    hook = await startAgentServer();
    // The first delivery fails once, so attempt 1 is a retry and attempt 2 delivers.
    hook.script.push({ status: 500 });
    server = await startServer({ env: { DELIVERY_RETRY_SCHEDULE: '50ms,50ms,50ms' } });
    pushAgent = await server.createAgent({ name: 'Push', endpointUrl: hook.url });
    pullAgent = await server.createAgent({ name: 'Pull' });
    page = new Session(server.url);
  });
  after(async () => {
    await server?.stop();
    await hook?.close();
  });

  it('answers /healthz (alive) and /readyz (database reachable)', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
    const ready = await fetch(`${server.url}/readyz`);
    assert.deepEqual([ready.status, await ready.json()], [200, { status: 'ready', database: 'sqlite' }]);
  });

  it('counts deliveries by outcome and attempt, and shows the outbox backlog', async () => {
    const sent = await page.send(pushAgent.id, 'deliver me');
    assert.equal(sent.status, 201);
    await eventually(async () => {
      const { value } = await scrape(server);
      assert.equal(value('deliveries_total', { outcome: 'retry', attempt: '1' }), 1);
      assert.equal(value('deliveries_total', { outcome: 'delivered', attempt: '2' }), 1);
    });
    // A pull agent's task waits in the outbox until it is pulled.
    await page.send(pullAgent.id, 'pull me');
    const { value } = await scrape(server);
    assert.ok((value('outbox_backlog') ?? 0) >= 1);
    const ping = value('database_ping_seconds');
    assert.ok(ping !== undefined && ping >= 0 && ping < 1, `database_ping_seconds ${ping}`);
    // SQLite on a file: the write-ahead log holds the commits above, so operators can watch it stay bounded.
    const wal = value('sqlite_wal_bytes');
    assert.ok(wal !== undefined && wal > 0, `sqlite_wal_bytes ${wal}`);
  });

  it('counts webhook results by outcome: stored, duplicate and rejected by reason', async () => {
    const taskId = (await page.send(pushAgent.id, 'answer me')).body.taskId;
    const messageId = `m-${randomUUID()}`;
    assert.equal((await server.webhook({ taskId, response: 'once', messageId }, pushAgent.token)).status, 200);
    assert.equal((await server.webhook({ taskId, response: 'once', messageId }, pushAgent.token)).status, 200);
    assert.equal((await server.webhook({ taskId, response: 'x' }, 'wct_wrong')).status, 401);
    assert.equal((await server.webhook({ taskId, response: 'x' }, pullAgent.token)).status, 403);
    const body = JSON.stringify({ taskId, response: 'x' });
    const forged = signedHeaders(pullAgent.signingSecret, `wh_${randomUUID()}`, body);
    assert.equal((await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: forged, body })).status, 401);
    // Refusals decided before the handler runs are counted too.
    const bearer = { authorization: `Bearer ${pushAgent.token}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: bearer, body: '{"taskId":' })).status, 400);
    assert.equal((await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: bearer, body: JSON.stringify({ taskId: 'not a task id!', response: 'x' }) })).status, 400);
    assert.equal((await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: bearer, body: JSON.stringify({ taskId, response: 'x'.repeat(300_000) }) })).status, 413);
    const { value } = await scrape(server);
    assert.equal(value('webhook_results_total', { outcome: 'rejected_invalid_json' }), 1);
    assert.equal(value('webhook_results_total', { outcome: 'rejected_validation_failed' }), 1);
    assert.equal(value('webhook_results_total', { outcome: 'rejected_body_too_large' }), 1);
    assert.ok((value('webhook_results_total', { outcome: 'stored' }) ?? 0) >= 1);
    assert.equal(value('webhook_results_total', { outcome: 'duplicate' }), 1);
    assert.equal(value('webhook_results_total', { outcome: 'rejected_unauthenticated' }), 1);
    assert.equal(value('webhook_results_total', { outcome: 'rejected_forbidden' }), 1);
    assert.equal(value('webhook_results_total', { outcome: 'rejected_signature_invalid' }), 1);
  });

  it('times real store calls: a webhook adds a transaction and reads to database_query_duration_seconds', async () => {
    const taskId = (await page.send(pushAgent.id, 'time me')).body.taskId;
    const count = (samples: Awaited<ReturnType<typeof scrape>>['samples'], operation: (op: string) => boolean): number =>
      samples
        .filter((s) => s.name === 'database_query_duration_seconds_count' && operation(s.labels.operation ?? ''))
        .reduce((sum, s) => sum + s.value, 0);
    const before = (await scrape(server)).samples;
    assert.equal((await server.webhook({ taskId, response: 'timed' }, pushAgent.token)).status, 200);
    const after = (await scrape(server)).samples;
    const transaction = (op: string): boolean => op === 'transaction';
    assert.ok(count(after, transaction) > count(before, transaction), 'the webhook\'s commit is timed');
    const reads = (op: string): boolean => op !== '' && op !== 'transaction';
    assert.ok(count(after, reads) > count(before, reads), 'the webhook\'s reads are timed');
    const buckets = after.filter((s) => s.name === 'database_query_duration_seconds_bucket' && s.labels.operation === 'transaction');
    assert.ok(buckets.some((b) => b.labels.le === '+Inf' && b.value >= 1), 'a +Inf bucket for transaction');
  });

  it('has request latency histograms per route', async () => {
    const { samples } = await scrape(server);
    for (const route of [WEBHOOK, '/api/tasks/assign-user-task', '/healthz']) {
      const buckets = samples.filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels.route === route);
      assert.ok(buckets.length > 1, `buckets for ${route}`);
      assert.ok(buckets.some((b) => b.labels.le === '+Inf' && b.value >= 1), `+Inf bucket for ${route}`);
      assert.ok(samples.some((s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === route && s.labels.method && s.labels.status_code));
    }
  });

  it('shows connected SSE and long-poll readers', async () => {
    const taskId = (await page.send(pushAgent.id, 'watch me')).body.taskId;
    const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { cookie: sessionCookie(page) });
    await eventually(async () => assert.equal((await scrape(server)).value('readers_connected', { kind: 'sse' }), 1));
    stream.close();
    await eventually(async () => assert.equal((await scrape(server)).value('readers_connected', { kind: 'sse' }), 0));

    const poll = page.responses(taskId, '&wait=10');
    await eventually(async () => assert.equal((await scrape(server)).value('readers_connected', { kind: 'longpoll' }), 1));
    assert.equal((await server.webhook({ taskId, response: 'wake up' }, pushAgent.token)).status, 200);
    assert.equal((await poll).body.responses.length, 1);
    await eventually(async () => assert.equal((await scrape(server)).value('readers_connected', { kind: 'longpoll' }), 0));
  });
});

describe('logs', () => {
  it('are pino JSON with a request id, and never contain a credential or a message body', async () => {
    const markers = {
      message: `MSG-${randomUUID()}`,
      signed: `SIGNED-${randomUUID()}`,
      bearer: `BEARER-${randomUUID()}`,
      rejected: `REJECTED-${randomUUID()}`,
      invalid: `INVALIDJSON-${randomUUID()}`,
      test: `TESTMSG-${randomUUID()}`,
    };
    const hook = await startAgentServer();
    const server = await startServer({ process: true, env: { LOG_LEVEL: 'info', ENABLE_TEST_ENDPOINT: '0' } });
    const secrets: string[] = [server.adminToken];
    let output: string;
    try {
      const agent = await server.createAgent({ name: 'Logged', endpointUrl: hook.url });
      secrets.push(agent.token, agent.signingSecret, agent.signingSecret.slice('whsec_'.length));
      const page = new Session(server.url);
      const sent = await page.send(agent.id, `please answer ${markers.message}`);
      assert.equal(sent.status, 201);
      const cookie = sessionCookie(page);
      secrets.push(cookie.slice('wc_session='.length));
      const taskId = sent.body.taskId;
      await eventually(() => assert.ok(hook.received.some((r) => r.body.taskId === taskId)));

      const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { cookie, 'x-request-id': 'trace-log-stream-1' });
      const signedBody = JSON.stringify({ taskId, response: `signed ${markers.signed}`, final: false });
      const signed = await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: { ...signedHeaders(agent.signingSecret, `wh_${randomUUID()}`, signedBody), 'x-request-id': 'trace-log-test-1' }, body: signedBody });
      assert.equal(signed.status, 200);
      assert.equal((await server.webhook({ taskId, response: `bearer ${markers.bearer}` }, agent.token)).status, 200);
      assert.equal((await server.webhook({ taskId, response: `nope ${markers.rejected}` }, `${agent.token}x`)).status, 401);
      const invalid = await fetch(`${server.url}${WEBHOOK}`, { method: 'POST', headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' }, body: `{"taskId": "${taskId}", "response": "${markers.invalid}` });
      assert.equal(invalid.status, 400);
      const test = await fetch(`${server.url}/api/communications/test-response`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ taskId, testMessage: markers.test }) });
      assert.equal(test.status, 200);
      await eventually(() => assert.ok(stream.text().includes(markers.bearer)));
      stream.close();
      assert.equal((await page.responses(taskId)).body.responses.length, 3);

      const rotate = await fetch(`${server.url}/api/agents/${agent.id}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}` } });
      const rotated = (await rotate.json()) as AgentCredentials;
      secrets.push(rotated.token, rotated.signingSecret, rotated.signingSecret.slice('whsec_'.length));
      assert.equal((await server.webhook({ taskId, response: `after rotation ${markers.bearer}` }, rotated.token)).status, 200);
    } finally {
      await server.stop();
      output = server.output();
      await hook.close();
    }

    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const json = lines.filter((line) => line.startsWith('{'));
    const other = lines.filter((line) => !line.startsWith('{'));
    for (const line of other) assert.match(line, /Webhook Chat is running|Chat page:|API docs:/, `a log line that is not JSON: ${line}`);
    assert.ok(json.length > 20, `only ${json.length} log lines`);
    const entries = json.map((line) => JSON.parse(line) as { level: number; msg?: string; reqId?: string; req?: { url?: string }; res?: unknown });
    for (const entry of entries) assert.equal(typeof entry.level, 'number');
    const requestLines = entries.filter((e) => e.req !== undefined || e.res !== undefined);
    assert.ok(requestLines.length > 10);
    for (const entry of requestLines) assert.ok(typeof entry.reqId === 'string' && entry.reqId.length > 0, `no reqId: ${JSON.stringify(entry)}`);
    assert.ok(entries.some((e) => e.reqId === 'trace-log-test-1'), 'a caller-supplied X-Request-Id is the reqId');
    // A stream is a request like the others: one line when it comes in, one when it is over.
    const streamLines = entries.filter((e) => e.reqId === 'trace-log-stream-1').map((e) => e.msg);
    assert.deepEqual(streamLines, ['incoming request', 'request completed'], 'the stream\'s request lines');
    assert.ok(entries.some((e) => e.msg === 'request rejected'), 'rejections are logged (by code)');

    for (const value of [...secrets, ...Object.values(markers)]) {
      const leaking = lines.filter((line) => line.includes(value));
      assert.deepEqual(leaking, [], `a log line contains ${value.slice(0, 12)}…`);
    }
  });
});
