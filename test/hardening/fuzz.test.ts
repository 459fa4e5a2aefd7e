// Hostile input: a seeded, reproducible fuzz run over every endpoint (see fuzz-cases.ts).
//
// Rules that hold for every request: never a 5xx; every 4xx that reaches the app is
// `{ success: false, error: { code, message } }`; a rejected request stores nothing and changes
// nothing (row counts and a fingerprint of task, turn and agent state are equal before and after,
// read from the SQLite file); a JSON body over the limit is 413; and the server stays up.
// FUZZ_SEED and FUZZ_REQUESTS reproduce or lengthen a run (never below 2,000 requests).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { startServer, type TestServer } from '../support/server.js';
import { generate, serialize, type FuzzRequest, type FuzzWorld } from './fuzz-cases.js';
import { errorCodeOf, fingerprint, openReadOnly, parseMetrics, prng, rawRequest, runLength } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 7_2026);
/** FUZZ_REQUESTS lengthens the run; the proof needs at least 2,000 requests. */
const REQUESTS = runLength(process.env.FUZZ_REQUESTS, 2400, 2000);
const BODY_LIMIT = 262_144;

/** Answers that Node's HTTP parser or Fastify's router write before our error handler runs. */
const FRAMEWORK_BODIES = [/"message":"Client Error"/, /"message":"Exceeded maximum allowed HTTP header size"/];
const ROUTER_CODES = /"code":"(FST_ERR_BAD_URL|FST_ERR_MAX_PARAM_LENGTH|URI_TOO_LONG|MALFORMED_REQUEST)"/;
/** Codes answered before the body is read (a bad URL), so an oversized body never gets to 413. */
const BEFORE_BODY = new Set(['URI_TOO_LONG', 'MALFORMED_REQUEST']);

async function newSessionCookie(url: string): Promise<string> {
  const response = await fetch(`${url}/api/agents`);
  const pair = response.headers.getSetCookie().map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith('wc_session='));
  assert.ok(pair, 'GET /api/agents sets the session cookie');
  return pair;
}

async function json<T>(url: string, init: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  assert.ok(response.ok, `${init.method ?? 'GET'} ${url}: ${response.status}`);
  return (await response.json()) as T;
}

describe('hostile input (fuzz)', () => {
  let server: TestServer;
  let db: Database.Database;
  let world: FuzzWorld;

  before(async () => {
    server = await startServer({
      env: { LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'silent', ENABLE_TEST_ENDPOINT: '1', RATE_LIMIT_AGENT_PER_MINUTE: '10000000', RATE_LIMIT_SESSION_PER_MINUTE: '10000000', BODY_LIMIT_BYTES: String(BODY_LIMIT) },
    });
    const creds = (a: AgentCredentials) => ({ id: a.id, token: a.token, signingSecret: a.signingSecret });
    const a = creds(await server.createAgent({ name: 'Fuzz A' }));
    const b = creds(await server.createAgent({ name: 'Fuzz B' }));
    const spare = creds(await server.createAgent({ name: 'Fuzz spare' }));
    const cookies = { a: await newSessionCookie(server.url), b: await newSessionCookie(server.url) };
    const send = (cookie: string, agentId: string) =>
      json<{ taskId: string }>(`${server.url}/api/tasks/assign-user-task`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ agentId, message: 'first message' }),
      });
    const tasks = { a: (await send(cookies.a, a.id)).taskId, b: (await send(cookies.b, b.id)).taskId };
    const deliveryOf = async (agentId: string) => {
      const list = await json<{ deliveries: Array<{ id: string }> }>(`${server.url}/api/admin/deliveries?agentId=${agentId}`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      assert.ok(list.deliveries[0]);
      return list.deliveries[0].id;
    };
    world = {
      port: server.port,
      adminToken: server.adminToken,
      bodyLimit: BODY_LIMIT,
      agents: { a, b, spare },
      cookies,
      tasks,
      deliveries: { a: await deliveryOf(a.id), b: await deliveryOf(b.id) },
    };
    db = openReadOnly(server.databaseUrl);
  });
  after(async () => {
    db?.close();
    await server?.stop();
  });

  it(`survives ${REQUESTS} generated hostile requests (seed ${SEED})`, async (t) => {
    const random = prng(SEED);
    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    const byCode = new Map<string, number>();
    const byEndpoint = new Map<string, number>();
    let frameworkAnswers = 0;
    let routerAnswers = 0;
    let rejected = 0;
    const fail = (index: number, request: FuzzRequest, problem: string): void => {
      if (failures.length < 25) failures.push(`#${index} [${request.method} ${request.target.slice(0, 120)}] ${request.label}: ${problem}`);
    };

    for (let index = 0; index < REQUESTS; index++) {
      const request = generate(random, world);
      const endpoint = request.label.split(' | ')[0] as string;
      byEndpoint.set(endpoint, (byEndpoint.get(endpoint) ?? 0) + 1);
      const before = fingerprint(db);
      let response;
      try {
        response = await rawRequest(server.port, serialize(request, server.port), 20_000);
      } catch (error) {
        // A connection the parser refused may be closed without an answer; anything else is a failure.
        if (!request.malformedHttp) fail(index, request, `no answer: ${String(error)}`);
        continue;
      }
      const { status, body } = response;
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (status >= 500) fail(index, request, `answered ${status}: ${body.slice(0, 200)}`);
      // The router answers a bad path before the body is read; any other answer must be 413.
      if (request.expect413 && !request.malformedHttp && status !== 413 && !ROUTER_CODES.test(body)) fail(index, request, `expected 413 for an oversized body, got ${status}`);
      if (status < 400) continue;
      rejected++;
      const code = errorCodeOf(body);
      if (code !== null) {
        byCode.set(code, (byCode.get(code) ?? 0) + 1);
        if (request.expect413 && !request.malformedHttp && code !== 'BODY_TOO_LARGE' && !BEFORE_BODY.has(code)) fail(index, request, `413 with code ${code}`);
      } else if (request.method === 'HEAD') {
        // A HEAD answer has no body to check.
      } else if (request.malformedHttp && FRAMEWORK_BODIES.some((re) => re.test(body)) && (status === 400 || status === 431)) {
        frameworkAnswers++;
      } else if (ROUTER_CODES.test(body) && (status === 400 || status === 414)) {
        routerAnswers++;
      } else {
        fail(index, request, `4xx body is not { success: false, error: { code, message } }: ${status} ${body.slice(0, 200)}`);
      }
      const afterwards = fingerprint(db);
      if (afterwards !== before) fail(index, request, `a rejected request (${status} ${code ?? ''}) changed stored state:\n  before ${before}\n  after  ${afterwards}`);
    }

    assert.deepEqual(failures, [], `fuzz failures (seed ${SEED}):\n${failures.join('\n')}`);

    // The server is still up and well.
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const fiveHundreds = metrics.filter((m) => m.name === 'http_request_duration_seconds_count' && m.labels.status_code?.startsWith('5'));
    assert.deepEqual(fiveHundreds, [], 'no request was answered with a 5xx');
    const asked = await fetch(`${server.url}/api/tasks/assign-user-task`, {
      method: 'POST',
      headers: { cookie: world.cookies.a, 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: world.agents.a.id, taskId: world.tasks.a, message: 'still there?' }),
    });
    assert.equal(asked.status, 201, 'the relay still takes messages');
    const answer = await fetch(`${server.url}/api/communications/webhook-response`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.agents.a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ taskId: world.tasks.a, response: 'still working after the fuzz' }),
    });
    assert.equal(answer.status, 200, 'the relay still stores answers');

    const summary = (m: Map<string | number, number>) => [...m].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}: ${v}`).join(', ');
    t.diagnostic(`seed ${SEED}: ${REQUESTS} requests; ${rejected} rejected with 4xx, 0 allowed 5xx`);
    t.diagnostic(`by status: ${summary(byStatus)}`);
    t.diagnostic(`by error code: ${summary(byCode)}`);
    t.diagnostic(`by endpoint: ${summary(byEndpoint)}`);
    t.diagnostic(`answered by Node's parser (400/431, not our envelope): ${frameworkAnswers}; by Fastify's router (bad URL escape or over-long parameter): ${routerAnswers}`);
  });
});
