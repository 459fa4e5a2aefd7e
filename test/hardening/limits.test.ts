// Limits: rate limits (per agent token on agent endpoints, per browser session on page endpoints)
// answer 429 with Retry-After; bodies over BODY_LIMIT_BYTES answer 413; oversized headers are
// refused cleanly; a session may hold only MAX_STREAMS_PER_SESSION streams; security headers and
// the CSP are on every answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { Session, eventually } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { errorCodeOf, fingerprint, openReadOnly, openSse, parseMetrics, rawRequest, signedHeaders, type SseReader } from './helpers.js';

const LIMIT = 5;

function assertLimited(response: Response, text: string): void {
  assert.equal(response.status, 429, text);
  assert.equal(errorCodeOf(text), 'RATE_LIMITED', text);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `Retry-After: ${response.headers.get('retry-after')}`);
}

describe('rate limits', () => {
  let server: TestServer;
  let db: Database.Database;
  let first: AgentCredentials;
  let second: AgentCredentials;
  let firstTask: string;
  let secondTask: string;

  before(async () => {
    server = await startServer({ env: { RATE_LIMIT_AGENT_PER_MINUTE: String(LIMIT), RATE_LIMIT_SESSION_PER_MINUTE: String(LIMIT) } });
    first = await server.createAgent({ name: 'First' });
    second = await server.createAgent({ name: 'Second' });
    firstTask = (await new Session(server.url).send(first.id, 'one')).body.taskId;
    secondTask = (await new Session(server.url).send(second.id, 'two')).body.taskId;
    db = openReadOnly(server.databaseUrl);
  });
  after(async () => {
    db?.close();
    await server?.stop();
  });

  it('limits each agent token on the webhook on its own, and a limited request stores nothing', async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal((await server.webhook({ taskId: firstTask, response: `a${i}`, final: false }, first.token)).status, 200);
    const before = fingerprint(db);
    const limited = await server.webhook({ taskId: firstTask, response: 'one too many' }, first.token);
    assertLimited(limited, await limited.text());
    assert.equal(fingerprint(db), before);
    // The second agent has its own budget.
    for (let i = 0; i < LIMIT; i++) assert.equal((await server.webhook({ taskId: secondTask, response: `b${i}`, final: false }, second.token)).status, 200);
    const secondLimited = await server.webhook({ taskId: secondTask, response: 'one too many' }, second.token);
    assertLimited(secondLimited, await secondLimited.text());
    const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const counted = metrics.find((m) => m.name === 'webhook_results_total' && m.labels.outcome === 'rejected_rate_limited');
    assert.equal(counted?.value, 2, 'rate-limited webhooks are counted by reason');
  });

  it('limits signed webhooks too (per caller address until the signature names the agent)', async () => {
    let response: Response | undefined;
    for (let i = 0; i <= LIMIT; i++) {
      const body = JSON.stringify({ taskId: firstTask, response: `signed ${i}`, final: false });
      response = await fetch(`${server.url}/api/communications/webhook-response`, { method: 'POST', headers: signedHeaders(first.signingSecret, `wh_limit_${i}`, body), body });
      if (i < LIMIT) assert.equal(response.status, 200);
    }
    assert.ok(response);
    assertLimited(response, await response.text());
  });

  it('limits each browser session on page endpoints on its own', async () => {
    const page = new Session(server.url);
    const taskId = (await page.send(first.id, 'mine')).body.taskId;
    let last: Response | undefined;
    let allowed = 0;
    for (let i = 0; i < 3 * LIMIT; i++) {
      last = await page.request('GET', `/api/communications/get-responses?taskId=${taskId}`);
      if (last.status === 429) break;
      assert.equal(last.status, 200);
      await last.arrayBuffer();
      allowed++;
    }
    assert.ok(last);
    assert.ok(allowed <= LIMIT, `${allowed} reads allowed with a limit of ${LIMIT}`);
    assertLimited(last, await last.text());
    // Another session is not affected.
    const other = new Session(server.url);
    const theirs = await other.send(first.id, 'theirs');
    assert.equal(theirs.status, 201);
    assert.equal((await other.responses(theirs.body.taskId)).status, 200);
  });

  it('limits the agent list (a page endpoint) per session, and per address before a session exists', async () => {
    /** Calls until the first 429 (or 3 × LIMIT calls); returns how many were allowed and the 429. */
    async function untilLimited(call: () => Promise<Response>): Promise<{ allowed: number; last: Response }> {
      let allowed = 0;
      for (let i = 0; i < 3 * LIMIT; i++) {
        const response = await call();
        if (response.status === 429) return { allowed, last: response };
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        allowed++;
      }
      assert.fail(`no 429 after ${allowed} calls`);
    }
    const page = new Session(server.url);
    // The chat page's first call has no cookie yet: it counts for the address and starts the session.
    assert.equal((await page.request('GET', '/api/agents')).status, 200);
    const mine = await untilLimited(() => page.request('GET', '/api/agents'));
    assert.equal(mine.allowed, LIMIT);
    assertLimited(mine.last, await mine.last.text());
    // Another session is not affected (its first call is the address's second).
    const other = new Session(server.url);
    assert.equal((await other.request('GET', '/api/agents')).status, 200);
    assert.equal((await other.request('GET', '/api/agents')).status, 200);
    // A client that never keeps the cookie gets the address's budget, of which two calls are gone.
    const cookieless = await untilLimited(() => fetch(`${server.url}/api/agents`));
    assert.equal(cookieless.allowed, LIMIT - 2);
    assertLimited(cookieless.last, await cookieless.last.text());
  });
});

describe('signed webhooks are limited per caller address', () => {
  let server: TestServer;
  let db: Database.Database;

  before(async () => {
    server = await startServer({ env: { RATE_LIMIT_AGENT_PER_MINUTE: String(LIMIT) } });
    db = openReadOnly(server.databaseUrl);
  });
  after(async () => {
    db?.close();
    await server?.stop();
  });

  // The limiter runs before the body is read, when a signed request names no agent yet (see
  // docs/operating.md, Limits): two agents signing from one address share one budget, while
  // bearer tokens keep their own.
  it('shares one budget between the agents signing from one address; bearer tokens keep their own', async () => {
    const [one, two] = [await server.createAgent({ name: 'One' }), await server.createAgent({ name: 'Two' })];
    const taskOf = async (agent: AgentCredentials): Promise<string> => (await new Session(server.url).send(agent.id, 'hi')).body.taskId;
    const [taskOne, taskTwo] = [await taskOf(one), await taskOf(two)];
    const signed = (agent: AgentCredentials, taskId: string, i: number): Promise<Response> => {
      const body = JSON.stringify({ taskId, response: `signed ${i}`, final: false });
      return fetch(`${server.url}/api/communications/webhook-response`, { method: 'POST', headers: signedHeaders(agent.signingSecret, `wh_shared_${agent.id}_${i}`, body), body });
    };
    for (let i = 0; i < LIMIT; i++) assert.equal((await signed(one, taskOne, i)).status, 200);
    const before = fingerprint(db);
    const limited = await signed(two, taskTwo, 0);
    assertLimited(limited, await limited.text());
    assert.equal(fingerprint(db), before, 'a limited request stores nothing');
    assert.equal((await server.webhook({ taskId: taskTwo, response: 'by bearer', final: false }, two.token)).status, 200);
  });
});

describe('body, header and stream limits', () => {
  let server: TestServer;
  let db: Database.Database;
  let agent: AgentCredentials;
  const streams: SseReader[] = [];

  before(async () => {
    server = await startServer({ env: { MAX_STREAMS_PER_SESSION: '2', BODY_LIMIT_BYTES: '4096' } });
    agent = await server.createAgent({ name: 'Limits' });
    db = openReadOnly(server.databaseUrl);
  });
  after(async () => {
    for (const stream of streams) stream.close();
    db?.close();
    await server?.stop();
  });

  /** A JSON body of exactly `size` bytes. */
  const bodyOf = (size: number): string => {
    const base = JSON.stringify({ name: 'big', description: '' });
    return base.replace('"description":""', `"description":"${'d'.repeat(size - base.length)}"`);
  };

  it('answers 413 BODY_TOO_LARGE (JSON) to a body over BODY_LIMIT_BYTES, with or without Content-Length', async () => {
    const admin = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
    const before = fingerprint(db);
    for (const size of [4097, 5000, 100_000, 1_000_000]) {
      const response = await fetch(`${server.url}/api/agents`, { method: 'POST', headers: admin, body: bodyOf(size) });
      const text = await response.text();
      assert.equal(response.status, 413, `${size} bytes`);
      assert.equal(errorCodeOf(text), 'BODY_TOO_LARGE');
    }
    // Chunked: the server counts while reading.
    const chunked = await fetch(`${server.url}/api/agents`, {
      method: 'POST',
      headers: admin,
      body: new Blob([bodyOf(10_000)]).stream(),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal(errorCodeOf(await chunked.text()), 'BODY_TOO_LARGE');
    assert.equal(fingerprint(db), before);
    // At the limit the body is read (and here refused only because the description is too long).
    const atLimit = await fetch(`${server.url}/api/agents`, { method: 'POST', headers: admin, body: bodyOf(4096) });
    assert.equal(atLimit.status, 400);
  });

  it('refuses oversized headers with 431, not a 5xx, and stays up', async () => {
    for (const header of [`x-big: ${'a'.repeat(20_000)}`, `cookie: wc_session=${'c'.repeat(20_000)}`, `authorization: Bearer ${'t'.repeat(20_000)}`]) {
      const answer = await rawRequest(server.port, `GET /api/agents HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${header}\r\n\r\n`);
      assert.equal(answer.status, 431, header.slice(0, 20));
    }
    const many = Array.from({ length: 2000 }, (_, i) => `x-h${i}: ${'v'.repeat(10)}\r\n`).join('');
    assert.equal((await rawRequest(server.port, `GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${many}\r\n`)).status, 431);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
  });

  it('caps concurrent streams per session (MAX_STREAMS_PER_SESSION) with 429 TOO_MANY_STREAMS', async () => {
    const page = new Session(server.url);
    const sent = await page.send(agent.id, 'stream me');
    const url = `${server.url}/api/communications/stream?taskId=${sent.body.taskId}`;
    const cookie = sessionCookieOf(page);
    for (let i = 0; i < 2; i++) {
      const stream = await openSse(url, { cookie });
      streams.push(stream);
      assert.equal(stream.status, 200);
    }
    const third = await fetch(url, { headers: { cookie } });
    assert.equal(third.status, 429);
    assert.equal(errorCodeOf(await third.text()), 'TOO_MANY_STREAMS');
    assert.ok(Number(third.headers.get('retry-after')) > 0);

    // Another session is not affected.
    const other = new Session(server.url);
    const theirs = await other.send(agent.id, 'mine');
    const otherStream = await openSse(`${server.url}/api/communications/stream?taskId=${theirs.body.taskId}`, { cookie: sessionCookieOf(other) });
    streams.push(otherStream);
    assert.equal(otherStream.status, 200);

    // Closing a stream frees its slot.
    streams[0]?.close();
    await eventually(async () => {
      const again = await openSse(url, { cookie });
      streams.push(again);
      assert.equal(again.status, 200);
    });
  });
});

/** The cookie header a Session sends (the helper keeps it private). */
function sessionCookieOf(session: Session): string {
  const cookie = (session as unknown as { cookie: string }).cookie;
  assert.ok(cookie.startsWith('wc_session='));
  return cookie;
}

describe('security headers', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.stop());

  function directives(csp: string | null): Map<string, string[]> {
    assert.ok(csp, 'a Content-Security-Policy header');
    return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
      const [name, ...values] = d.split(/\s+/);
      return [name as string, values];
    }));
  }

  it('sends a strict CSP and the usual security headers on the chat page and the API', async () => {
    for (const path of ['/chat', '/api/agents', '/healthz', '/nope', '/admin']) {
      const response = await fetch(`${server.url}${path}`);
      await response.arrayBuffer();
      const csp = directives(response.headers.get('content-security-policy'));
      const scripts = csp.get('script-src') ?? csp.get('default-src');
      assert.deepEqual(scripts, ["'self'"], `${path}: scripts only from our origin`);
      assert.ok(!(csp.get('script-src') ?? []).includes("'unsafe-inline'"), `${path}: no inline scripts`);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], path);
      assert.deepEqual(csp.get('object-src'), ["'none'"], path);
      assert.deepEqual(csp.get('base-uri'), ["'self'"], path);
      assert.deepEqual(csp.get('default-src'), ["'self'"], path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.ok(response.headers.get('x-frame-options'), path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin', path);
      assert.ok(response.headers.get('strict-transport-security'), path);
      assert.equal(response.headers.get('x-powered-by'), null, path);
    }
  });

  it('keeps an open event stream to the headers an event stream needs (Node holds them for the stream\'s life)', async () => {
    const agent = await server.createAgent({ name: 'Headers' });
    const page = new Session(server.url);
    const taskId = (await page.send(agent.id, 'hi')).body.taskId;
    const stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { cookie: sessionCookieOf(page) });
    try {
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(stream.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(stream.headers.get('cross-origin-resource-policy'), 'same-origin');
      for (const pageOnly of ['content-security-policy', 'x-frame-options', 'referrer-policy', 'strict-transport-security', 'x-ratelimit-limit']) {
        assert.equal(stream.headers.get(pageOnly), null, pageOnly);
      }
    } finally {
      stream.close();
    }
    // A refused stream is an ordinary JSON answer, with every security header.
    const refused = await fetch(`${server.url}/api/communications/stream?taskId=${taskId}`);
    await refused.arrayBuffer();
    assert.equal(refused.status, 404);
    assert.ok(refused.headers.get('content-security-policy'));
  });

  it('relaxes only style-src on the API docs page', async () => {
    const response = await fetch(`${server.url}/docs/`);
    await response.arrayBuffer();
    const csp = directives(response.headers.get('content-security-policy'));
    assert.deepEqual(csp.get('script-src'), ["'self'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
  });
});
