/**
 * The hostile-input generator of fuzz.test.ts. Each request starts from a valid request to one
 * endpoint and gets one or more mutations: malformed JSON, wrong types, huge strings, deep nesting,
 * unicode edge cases, SQL- and HTML-looking text, prototype-poisoning keys, bad or duplicate or
 * oversized headers, bad content types, bad cursors and IDs, forged credentials. It is driven by a
 * seeded PRNG, so a failure names a seed and an index that reproduce it.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface Credentials {
  id: string;
  token: string;
  signingSecret: string;
}

/** What the generator may aim at: real agents, sessions, tasks and deliveries of the server. */
export interface FuzzWorld {
  port: number;
  adminToken: string;
  bodyLimit: number;
  /** `a` owns task `a`, `b` owns task `b`; `spare` may be patched and rotated. */
  agents: { a: Credentials; b: Credentials; spare: Credentials };
  /** `wc_session=…` pairs: session `a` created task `a`, session `b` task `b`. */
  cookies: { a: string; b: string };
  tasks: { a: string; b: string };
  /** A pending pull delivery of agent `a` and one of agent `b`. */
  deliveries: { a: string; b: string };
}

export interface FuzzRequest {
  /** Endpoint and mutations, for the failure message. */
  label: string;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body?: Buffer;
  /** Send the body without Content-Length, in chunked encoding. */
  chunked?: boolean;
  /** Malformed at the HTTP level: Node's parser (not the app) may answer 400 or 431. */
  malformedHttp?: boolean;
  /** A JSON body over the limit: the answer must be 413 BODY_TOO_LARGE. */
  expect413?: boolean;
}

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;

/** Strings that have broken parsers, databases, templates and terminals. */
const HOSTILE_STRINGS: readonly string[] = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83dy', '\udc00\ud800', '\u202eevil\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd',
  '😀'.repeat(40), '👩‍👩‍👧‍👦', '\u200b\ufeff\u2060', 'e\u0301\u0301\u0301\u0301', '\uffff\ufffe', 'ｔａｓｋ', 'İıſK',
  "' OR '1'='1", "'; DROP TABLE tasks; --", '" OR 1=1 --', "task_0000000000000_' UNION SELECT token_hash FROM agents --",
  '1; SELECT * FROM agents', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>',
  'javascript:alert(1)', '../../../../etc/passwd', '..\\..\\windows', '%00', '%s%s%n%x', '${7*7}', '{{7*7}}',
  '{{constructor.constructor("return process")()}}', 'a\r\nSet-Cookie: x=y', '\\u0000', 'null', 'undefined', 'NaN', '-1',
  '0', '1e999', '__proto__', 'constructor', 'prototype', 'x'.repeat(129), 'y'.repeat(5000), '\t\n\r\v\f',
];

const HUGE_LENGTHS = [100_000, 100_001, 150_000, 200_000];

const WRONG_TYPES: readonly unknown[] = [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, true, false, null, [], {}, ['x'], { a: 'b' }, [[[]]], '123'];

function hugeString(r: Rand): string {
  const n = pick(r, HUGE_LENGTHS);
  return pick(r, ['a', 'é', '😀', '<', "'"]).repeat(n / pick(r, [1, 2]));
}

function hostileValue(r: Rand, world: FuzzWorld): unknown {
  const roll = r();
  if (roll < 0.45) return pick(r, HOSTILE_STRINGS);
  if (roll < 0.7) return pick(r, WRONG_TYPES);
  if (roll < 0.8) return hugeString(r);
  return pick(r, [world.tasks.a, world.tasks.b, world.agents.a.id, world.agents.b.id, `task_${'9'.repeat(13)}_${'f'.repeat(32)}`, 'msg_1', world.deliveries.a]);
}

const TASK_IDS = (w: FuzzWorld): string[] => [
  w.tasks.a, w.tasks.b, '', 'task_', 'task_123', 'task_1234567890_abc123', `task_0000000000000_${'g'.repeat(32)}`,
  w.tasks.a.toUpperCase(), `${w.tasks.a} `, `${w.tasks.a}\u0000`, `task_${Date.now()}_${'0'.repeat(32)}`, "task' OR 1=1 --", '../etc/passwd',
  'x'.repeat(3000), '😀', '\ud800', w.deliveries.a,
];
const CURSORS = ['-1', '0', '1', '1.5', '1e3', '1e309', '9007199254740991', '9007199254740993', '99999999999999999999999', 'abc', '', '0x10', '+1', ' 1', 'NaN', 'Infinity', '-0', '٣', '1,2', '1e-5', '--1'];
const WAITS = ['0', '1', '-1', '61', '1.5', 'abc', '', '-0', '0x0', 'Infinity'];
const IDS = ['', 'x'.repeat(65), 'x'.repeat(250), '%ZZ', '%E0%A4%A', '%2e%2e', '..', '%00', 'A-UPPER', 'agt_0000', "a'b", '%F0%9F%98%80', 'a%2Fb', 'con', '__proto__', 'constructor'];

/** Percent-encodes UTF-8 (lone surrogates become U+FFFD, as a browser would send them). */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

const RAW_ESCAPES = ['%', '%Z', '%ZZ', '%C0%AF', '%ED%A0%80', '%FF%FE', '%E2%80%AE', '%00', '%25%32%35'];

function queryValue(r: Rand, candidates: readonly string[]): string {
  if (chance(r, 0.1)) return pick(r, RAW_ESCAPES);
  return encode(pick(r, candidates));
}

interface Endpoint {
  name: string;
  method: string;
  /** Path and query. */
  target(w: FuzzWorld, r: Rand): string;
  /** Credentials as headers. */
  auth(w: FuzzWorld, r: Rand): Array<[string, string]>;
  /** The JSON body, for POST and PATCH endpoints. */
  body?(w: FuzzWorld, r: Rand): Record<string, unknown>;
  /** Sign the final body with agent a's secret (Standard Webhooks). */
  signed?: boolean;
  kind: 'session' | 'agent' | 'admin' | 'public';
}

const bearer = (token: string): Array<[string, string]> => [['authorization', `Bearer ${token}`]];
const cookie = (w: FuzzWorld, r: Rand): Array<[string, string]> => [['cookie', chance(r, 0.85) ? w.cookies.a : w.cookies.b]];
const sameOrigin = (w: FuzzWorld): [string, string] => ['origin', `http://127.0.0.1:${w.port}`];

function getResponsesQuery(w: FuzzWorld, r: Rand): string {
  const params: string[] = [];
  if (chance(r, 0.9)) params.push(`taskId=${chance(r, 0.6) ? w.tasks.a : queryValue(r, TASK_IDS(w))}`);
  if (chance(r, 0.5)) params.push(`after=${queryValue(r, CURSORS)}`);
  if (chance(r, 0.15)) params.push(`wait=${queryValue(r, WAITS)}`);
  if (chance(r, 0.15)) params.push(`version=${queryValue(r, CURSORS)}`);
  if (chance(r, 0.05)) params.push(`taskId=${w.tasks.b}`);
  if (chance(r, 0.05)) params.push(`${pick(r, ['__proto__', 'constructor', 'taskId[]', 'a'.repeat(300)])}=${queryValue(r, HOSTILE_STRINGS)}`);
  return params.join('&');
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'assign-user-task',
    method: 'POST',
    kind: 'session',
    target: () => '/api/tasks/assign-user-task',
    auth: (w, r) => [...cookie(w, r), ...(chance(r, 0.5) ? [sameOrigin(w)] : [])],
    body: (w, r) => ({
      agentId: w.agents.a.id,
      message: `hello ${randomUUID()}`,
      ...(chance(r, 0.5) ? { taskId: w.tasks.a } : {}),
      ...(chance(r, 0.3) ? { messageId: `m-${randomUUID()}` } : {}),
    }),
  },
  {
    name: 'cancel',
    method: 'POST',
    kind: 'session',
    target: () => '/api/tasks/cancel',
    auth: (w, r) => [...cookie(w, r), sameOrigin(w)],
    body: (w, r) => ({ taskId: w.tasks.a, ...(chance(r, 0.3) ? { messageId: `m-${randomUUID()}` } : {}) }),
  },
  {
    name: 'webhook (bearer)',
    method: 'POST',
    kind: 'agent',
    target: () => '/api/communications/webhook-response',
    auth: (w) => bearer(w.agents.a.token),
    body: (w, r) => ({
      taskId: w.tasks.a,
      response: `answer ${randomUUID()}`,
      ...(chance(r, 0.4) ? { messageId: `r-${randomUUID()}` } : {}),
      ...(chance(r, 0.3) ? { final: chance(r, 0.5) } : {}),
      ...(chance(r, 0.2) ? { status: 'working', statusText: 'thinking' } : {}),
      ...(chance(r, 0.1) ? { inReplyTo: 'msg_unknown' } : {}),
    }),
  },
  {
    name: 'webhook (signed)',
    method: 'POST',
    kind: 'agent',
    signed: true,
    target: () => '/api/communications/webhook-response',
    auth: () => [],
    body: (w, r) => ({ taskId: w.tasks.a, response: `signed ${randomUUID()}`, ...(chance(r, 0.3) ? { messageId: `s-${randomUUID()}` } : {}) }),
  },
  {
    name: 'get-responses',
    method: 'GET',
    kind: 'session',
    target: (w, r) => `/api/communications/get-responses?${getResponsesQuery(w, r)}`,
    auth: (w, r) => (chance(r, 0.2) ? bearer(w.agents.a.token) : cookie(w, r)),
  },
  {
    name: 'stream',
    method: 'GET',
    kind: 'session',
    target: (w, r) => {
      const q = [`taskId=${chance(r, 0.5) ? w.tasks.a : queryValue(r, TASK_IDS(w))}`];
      if (chance(r, 0.4)) q.push(`after=${queryValue(r, CURSORS)}`);
      return `/api/communications/stream?${q.join('&')}`;
    },
    auth: (w, r) => [...cookie(w, r), ...(chance(r, 0.3) ? [['last-event-id', pick(r, CURSORS)] as [string, string]] : [])],
  },
  {
    name: 'test-response',
    method: 'POST',
    kind: 'session',
    target: () => '/api/communications/test-response',
    auth: (w, r) => [...cookie(w, r), sameOrigin(w)],
    body: (w, r) => ({ taskId: w.tasks.a, ...(chance(r, 0.5) ? { testMessage: `test ${randomUUID()}` } : {}) }),
  },
  { name: 'agents list', method: 'GET', kind: 'public', target: () => '/api/agents', auth: () => [] },
  {
    name: 'agents create',
    method: 'POST',
    kind: 'admin',
    target: () => '/api/agents',
    auth: (w) => bearer(w.adminToken),
    body: (_w, r) => ({
      name: `fuzz ${randomUUID().slice(0, 8)}`,
      ...(chance(r, 0.3) ? { description: 'made by the fuzzer' } : {}),
      ...(chance(r, 0.2) ? { endpointUrl: 'http://127.0.0.1:9/hook' } : {}),
    }),
  },
  {
    name: 'agents patch',
    method: 'PATCH',
    kind: 'admin',
    target: (w, r) => `/api/agents/${chance(r, 0.6) ? w.agents.spare.id : pick(r, IDS)}`,
    auth: (w) => bearer(w.adminToken),
    body: (_w, r) => (chance(r, 0.5) ? { name: `renamed ${randomUUID().slice(0, 8)}` } : { description: null }),
  },
  {
    name: 'agents rotate',
    method: 'POST',
    kind: 'admin',
    target: (w, r) => `/api/agents/${chance(r, 0.5) ? w.agents.spare.id : pick(r, IDS)}/rotate${chance(r, 0.6) ? `?graceSeconds=${queryValue(r, CURSORS)}` : ''}`,
    auth: (w) => bearer(w.adminToken),
  },
  {
    name: 'admin deliveries',
    method: 'GET',
    kind: 'admin',
    target: (w, r) => {
      const q: string[] = [];
      if (chance(r, 0.4)) q.push(`state=${queryValue(r, ['pending', 'failed', 'delivered', 'canceled', 'PENDING', 'x', ''])}`);
      if (chance(r, 0.3)) q.push(`agentId=${queryValue(r, [w.agents.a.id, ...IDS])}`);
      if (chance(r, 0.3)) q.push(`taskId=${queryValue(r, TASK_IDS(w))}`);
      if (chance(r, 0.4)) q.push(`limit=${queryValue(r, [...CURSORS, '500', '501'])}`);
      return `/api/admin/deliveries?${q.join('&')}`;
    },
    auth: (w) => bearer(w.adminToken),
  },
  {
    name: 'admin tasks',
    method: 'GET',
    kind: 'admin',
    target: (w, r) => {
      const q: string[] = [];
      if (chance(r, 0.4)) q.push(`state=${queryValue(r, ['open', 'answered', 'failed', 'canceled', 'working', 'x', ''])}`);
      if (chance(r, 0.3)) q.push(`agentId=${queryValue(r, [w.agents.a.id, ...IDS])}`);
      if (chance(r, 0.3)) q.push(`before=${queryValue(r, TASK_IDS(w))}`);
      if (chance(r, 0.4)) q.push(`limit=${queryValue(r, [...CURSORS, '500', '501'])}`);
      return `/api/admin/tasks?${q.join('&')}`;
    },
    auth: (w) => bearer(w.adminToken),
  },
  {
    name: 'admin replay',
    method: 'POST',
    kind: 'admin',
    target: (w, r) => `/api/admin/deliveries/${chance(r, 0.4) ? w.deliveries.a : pick(r, IDS)}/replay`,
    auth: (w) => bearer(w.adminToken),
  },
  {
    name: 'pull tasks',
    method: 'GET',
    kind: 'agent',
    target: (_w, r) => `/api/agent/tasks?wait=${chance(r, 0.6) ? '0' : queryValue(r, WAITS)}${chance(r, 0.4) ? `&limit=${queryValue(r, CURSORS)}` : ''}`,
    auth: (w, r) => bearer(chance(r, 0.8) ? w.agents.a.token : w.agents.b.token),
  },
  {
    name: 'pull ack',
    method: 'POST',
    kind: 'agent',
    target: (w, r) => `/api/agent/tasks/${pick(r, [w.deliveries.a, w.deliveries.b, `dlv_${'1'.repeat(13)}_${'a'.repeat(32)}`, ...IDS])}/ack`,
    auth: (w) => bearer(w.agents.a.token),
  },
  { name: 'healthz', method: 'GET', kind: 'public', target: () => '/healthz', auth: () => [] },
  { name: 'readyz', method: 'GET', kind: 'public', target: () => '/readyz', auth: () => [] },
  { name: 'metrics', method: 'GET', kind: 'public', target: () => '/metrics', auth: () => [] },
  { name: 'pages', method: 'GET', kind: 'public', target: (_w, r) => pick(r, ['/', '/chat', '/docs', '/openapi.json', '/admin', '/nope', '/api', '/assets/%2e%2e/%2e%2e/package.json']), auth: () => [] },
];

/** Body mutations work on the JSON text, so they can produce what JSON.stringify never would. */
function mutateBody(r: Rand, w: FuzzWorld, body: Record<string, unknown>, labels: string[]): { text: string | Buffer; expect413?: boolean } {
  const roll = r();
  if (roll < 0.35) {
    const keys = [...Object.keys(body), 'extra', 'sessionHash', 'agentId', 'seq', 'webhookId', 'admin'];
    const key = pick(r, keys);
    const value = hostileValue(r, w);
    labels.push(`field ${key}=${JSON.stringify(value)?.slice(0, 40)}`);
    return { text: JSON.stringify({ ...body, [key]: value }) };
  }
  if (roll < 0.5) {
    const valid = JSON.stringify(body);
    const broken = pick(r, [
      valid.slice(0, Math.max(1, Math.floor(valid.length * r()))), `${valid},`, `${valid}x`, `${valid}${valid}`, valid.replace(/"/g, "'"),
      valid.replace(/"(\w+)":/g, '$1:'), `{"taskId":NaN}`, '{"a":Infinity}', '{"a":1,}', '/* c */{}', `\ufeff${valid}`, '', '   ', 'null', '[]',
      '"str"', '123', 'true', `[${valid}]`, '{"taskId":"a","taskId":"b"}', `{"n":${'1'.repeat(10000)}}`, '{"n":1e999999}', '{"a":"\\ud800"}',
      '{"a":"\\x00"}', '{"a":"\\u00"}', '{"a":"\u0000"}', '{"a" "b"}', '{{}}', '\u0000', `${valid}\u0000`,
    ]);
    labels.push(`json ${JSON.stringify(broken.slice(0, 40))}`);
    return { text: broken };
  }
  if (roll < 0.6) {
    const poison = pick(r, [
      '"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}', '"extra":{"__proto__":{"x":1}}',
      '"extra":[{"constructor":{"prototype":{"y":1}}}]', '"__proto__":null',
    ]);
    labels.push(`proto ${poison}`);
    return { text: JSON.stringify(body).replace(/^\{/, `{${poison},`) };
  }
  if (roll < 0.7) {
    const depth = pick(r, [64, 1000, 10_000, 60_000]);
    const shape = pick(r, ['array', 'object']);
    const nested = shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const key = pick(r, [...Object.keys(body), 'extra']);
    labels.push(`deep ${shape} ${depth} in ${key}`);
    const rest = JSON.stringify({ ...body, [key]: 0 });
    return { text: rest.replace(`"${key}":0`, `"${key}":${nested}`) };
  }
  if (roll < 0.8) {
    // Exact sizes around the limit, padded inside the JSON so only the size is wrong.
    const size = pick(r, [w.bodyLimit - 10, w.bodyLimit, w.bodyLimit + 1, w.bodyLimit + 4096, 3 * w.bodyLimit]);
    const base = JSON.stringify({ ...body, pad: '' });
    const unit = pick(r, ['x', 'é', '😀']);
    const unitBytes = Buffer.byteLength(unit);
    let pad = unit.repeat(Math.max(0, Math.floor((size - Buffer.byteLength(base)) / unitBytes)));
    pad += 'x'.repeat(Math.max(0, size - Buffer.byteLength(base) - Buffer.byteLength(pad)));
    const text = Buffer.from(base.replace('"pad":""', `"pad":"${pad}"`));
    labels.push(`size ${text.length} bytes of ${JSON.stringify(unit)}`);
    return { text, expect413: text.length > w.bodyLimit };
  }
  if (roll < 0.9) {
    // Bytes that are not UTF-8: overlong encodings, encoded surrogates, stray continuation bytes.
    const bad = pick(r, [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xfe, 0xff], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3]]);
    const text = JSON.stringify(body);
    const at = text.indexOf('":"') + 3;
    labels.push(`bytes ${bad.map((b) => b.toString(16)).join(' ')}`);
    return { text: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]) };
  }
  const [key] = pick(r, Object.entries(body)) ?? ['taskId'];
  labels.push(`drop ${key}`);
  const copy = { ...body };
  delete copy[key];
  return { text: JSON.stringify(copy) };
}

const CONTENT_TYPES = [
  null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/json; charset=utf-16',
  'application/json;charset=latin1', 'APPLICATION/JSON', 'application/vnd.api+json', 'application/jsonx', 'application/json, text/plain',
  '', 'application/', '*/*', `application/json; boundary="${'x'.repeat(1000)}"`, 'text/html', 'application/xml', 'application/octet-stream',
  'application/json\u00e9',
];

function authMutation(r: Rand, w: FuzzWorld, e: Endpoint, labels: string[]): Array<[string, string]> | null {
  const options: Array<Array<[string, string]>> = [
    [],
    [['authorization', 'Bearer']],
    [['authorization', 'Bearer ']],
    [['authorization', 'Basic dXNlcjpwYXNz']],
    [['authorization', `Token ${w.agents.a.token}`]],
    [['authorization', `Bearer ${'A'.repeat(8000)}`]],
    [['authorization', `Bearer wct_${'0'.repeat(43)}`]],
    [['authorization', `Bearer ${w.agents.a.token} extra`]],
    [['authorization', `Bearer ${w.agents.a.token.slice(0, -1)}`]],
    [['authorization', `Bearer tok\u00e9n\u00ff`]],
    [['authorization', `bearer ${w.agents.b.token}`]],
    bearer(w.agents.b.token),
    bearer(w.agents.spare.token),
    bearer(w.adminToken),
    bearer(w.agents.a.signingSecret),
    [['authorization', `Bearer ${w.adminToken}x`]],
    [['cookie', 'wc_session=short']],
    [['cookie', `wc_session=${'z'.repeat(200)}`]],
    [['cookie', 'wc_session=%ZZ%E0%A4%A']],
    [['cookie', `${w.cookies.b}; ${w.cookies.a}`]],
    [['cookie', `wc_session=${'q'.repeat(43)}`]],
    [['cookie', '=;;==;wc_session']],
    [['cookie', `${w.cookies.a}`], ['origin', 'https://evil.example']],
    [['cookie', `${w.cookies.a}`], ['origin', 'null']],
    [['cookie', `${w.cookies.a}`], ['origin', `http://127.0.0.1:${w.port}.evil.example`]],
    [['cookie', `${w.cookies.b}`], sameOrigin(w)],
  ];
  const chosen = pick(r, options);
  labels.push(`auth ${JSON.stringify(chosen).slice(0, 60)}`);
  return e.kind === 'public' && chosen.length === 0 ? null : chosen;
}

function signatureHeaders(r: Rand, w: FuzzWorld, body: Buffer, labels: string[]): Array<[string, string]> {
  const id = `fz_${randomUUID()}`;
  const now = Date.now();
  const text = body.toString('utf8');
  const sign = (secret: string, at: number, signedBody = text, signedId = id): string => new Webhook(secret).sign(signedId, new Date(at), signedBody);
  const ts = (at: number): string => String(Math.floor(at / 1000));
  const variants: Array<[string, () => Array<[string, string]>]> = [
    ['valid', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', sign(w.agents.a.signingSecret, now)]]],
    ['stale', () => [['webhook-id', id], ['webhook-timestamp', ts(now - 301_000)], ['webhook-signature', sign(w.agents.a.signingSecret, now - 301_000)]]],
    ['future', () => [['webhook-id', id], ['webhook-timestamp', ts(now + 301_000)], ['webhook-signature', sign(w.agents.a.signingSecret, now + 301_000)]]],
    ['forged', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', sign(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, now)]]],
    ['other agent', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', sign(w.agents.b.signingSecret, now)]]],
    ['tampered', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', sign(w.agents.a.signingSecret, now, `${text} `)]]],
    ['other id', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', sign(w.agents.a.signingSecret, now, text, `${id}x`)]]],
    ['no signature', () => [['webhook-id', id], ['webhook-timestamp', ts(now)]]],
    ['no id', () => [['webhook-timestamp', ts(now)], ['webhook-signature', sign(w.agents.a.signingSecret, now)]]],
    ['bad timestamp', () => [['webhook-id', id], ['webhook-timestamp', pick(r, ['abc', '-1', '1e10', '99999999999999', '1.5', '', ' ', '0x10'])], ['webhook-signature', sign(w.agents.a.signingSecret, now)]]],
    ['long id', () => [['webhook-id', 'i'.repeat(257)], ['webhook-timestamp', ts(now)], ['webhook-signature', sign(w.agents.a.signingSecret, now, text, 'i'.repeat(257))]]],
    ['garbage signature', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', pick(r, ['v1,', 'v1,!!!', 'v2,abc', 'v1a,xyz', ' ', 'v1,' + 'A'.repeat(5000), ','])]]],
    ['several signatures', () => [['webhook-id', id], ['webhook-timestamp', ts(now)], ['webhook-signature', `v1,bad ${sign(w.agents.a.signingSecret, now)}`]]],
  ];
  const [name, make] = chance(r, 0.4) ? (variants[0] as [string, () => Array<[string, string]>]) : pick(r, variants);
  labels.push(`signature ${name}`);
  return make();
}

function headerMutation(r: Rand, labels: string[]): { headers: Array<[string, string]>; malformed: boolean } {
  const variants: Array<[string, () => Array<[string, string]>, boolean]> = [
    ['x-request-id long', () => [['x-request-id', 'r'.repeat(5000)]], false],
    ['x-request-id latin1', () => [['x-request-id', '\u00e9\u00ff\u00a0']], false],
    ['oversized header', () => [['x-big', 'b'.repeat(17_000)]], true],
    ['oversized cookie', () => [['cookie', `wc_session=${'c'.repeat(20_000)}`]], true],
    ['many headers', () => Array.from({ length: 300 }, (_, i): [string, string] => [`x-h${i}`, 'v'.repeat(10)]), false],
    ['too many header bytes', () => Array.from({ length: 2000 }, (_, i): [string, string] => [`x-h${i}`, 'v'.repeat(10)]), true],
    ['duplicate content-length', () => [['content-length', '1'], ['content-length', '2']], true],
    ['chunked and content-length', () => [['transfer-encoding', 'chunked'], ['content-length', '5']], true],
    ['bad header name', () => [['x bad', '1']], true],
    ['NUL in value', () => [['x-nul', 'a\u0000b']], true],
    ['folded header', () => [['x-fold', 'a\r\n folded']], true],
    ['duplicate host', () => [['host', 'evil.example']], true],
    ['expect continue', () => [['expect', '100-continue']], false],
    ['forwarded', () => [['x-forwarded-for', '1.2.3.4, 5.6.7.8'], ['x-forwarded-proto', 'https'], ['forwarded', 'for=evil']], false],
    ['content-encoding', () => [['content-encoding', pick(r, ['gzip', 'br', 'deflate', 'identity, gzip'])]], false],
    ['accept', () => [['accept', pick(r, ['text/event-stream', '*/*;q=abc', 'application/xml', ''])]], false],
  ];
  const [name, make, malformed] = pick(r, variants);
  labels.push(`header ${name}`);
  return { headers: make(), malformed };
}

function targetMutation(r: Rand, target: string, labels: string[]): { target: string; malformed: boolean } {
  const [path, query] = target.split('?', 2) as [string, string | undefined];
  const q = query === undefined ? '' : `?${query}`;
  const variants: Array<[string, string, boolean]> = [
    ['trailing slash', `${path}/${q}`, false],
    ['double slashes', `${path.replace(/\//g, '//')}${q}`, false],
    ['upper case', `${path.toUpperCase()}${q}`, false],
    ['dot segments', `${path}/../${path.split('/').pop() ?? ''}${q}`, false],
    ['encoded dots', `/api/%2e%2e/${path.slice(1)}${q}`, false],
    ['absolute form', `http://evil.example${path}${q}`, false],
    ['fragment', `${path}${q}#frag`, false],
    ['long query', `${path}?${'a=1&'.repeat(2000)}${query ?? ''}`, false],
    ['long path', `${path}/${'p'.repeat(12_000)}`, false],
    ['NUL in path', `${path}\u0000${q}`, true],
    ['space in path', `${path} x${q}`, true],
  ];
  const [name, mutated, malformed] = pick(r, variants);
  labels.push(`target ${name}`);
  return { target: mutated, malformed };
}

/** One generated request. */
export function generate(r: Rand, w: FuzzWorld): FuzzRequest {
  const e = pick(r, ENDPOINTS);
  const labels = [e.name];
  let method = e.method;
  let target = e.target(w, r);
  let headers = e.auth(w, r);
  let body: Buffer | undefined;
  let contentType: string | null = e.body ? 'application/json' : null;
  let malformedHttp = false;
  let expect413 = false;
  let chunked = false;

  if (e.body) {
    const template = e.body(w, r);
    if (chance(r, 0.75)) {
      const mutated = mutateBody(r, w, template, labels);
      body = Buffer.isBuffer(mutated.text) ? mutated.text : Buffer.from(mutated.text);
      expect413 = mutated.expect413 === true;
    } else {
      body = Buffer.from(JSON.stringify(template));
    }
    if (chance(r, 0.12)) {
      contentType = pick(r, CONTENT_TYPES);
      labels.push(`content-type ${JSON.stringify(contentType)}`);
      if (contentType === null || !/^application\/([\w.+-]+\+)?json(;.*)?$/i.test(contentType)) expect413 = false;
    }
    if (chance(r, 0.05)) {
      chunked = true;
      labels.push('chunked');
    }
  } else if (chance(r, 0.04)) {
    body = Buffer.from(pick(r, ['{}', 'x'.repeat(1000), '{"taskId":1}']));
    contentType = 'application/json';
    labels.push('body on a GET');
  }

  if (chance(r, 0.2)) {
    const replaced = authMutation(r, w, e, labels);
    if (replaced) headers = replaced;
  }
  if (e.signed && body) headers = [...headers, ...signatureHeaders(r, w, body, labels)];
  if (chance(r, 0.1)) {
    const extra = headerMutation(r, labels);
    headers = [...headers, ...extra.headers];
    malformedHttp ||= extra.malformed;
    if (extra.headers.some(([name]) => name === 'content-length' || name === 'transfer-encoding')) expect413 = false;
  }
  if (chance(r, 0.05)) {
    const mutated = targetMutation(r, target, labels);
    target = mutated.target;
    malformedHttp ||= mutated.malformed;
    expect413 = false;
  }
  if (chance(r, 0.03)) {
    method = pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'FOO']);
    labels.push(`method ${method}`);
    malformedHttp ||= method === 'FOO';
    if (method !== e.method) expect413 = false;
  }
  if (contentType !== null) headers = [['content-type', contentType], ...headers];
  // Node refuses a header section over 16 KiB (431) before the app sees the request.
  const headerBytes = target.length + headers.reduce((n, [name, value]) => n + name.length + value.length + 4, 0);
  malformedHttp ||= headerBytes > 16 * 1024 - 256;
  return {
    label: labels.join(' | '),
    method,
    target,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(chunked ? { chunked } : {}),
    ...(malformedHttp ? { malformedHttp } : {}),
    ...(expect413 ? { expect413 } : {}),
  };
}

/** The request as bytes on the wire. */
export function serialize(request: FuzzRequest, port: number): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close'];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const explicitLength = request.headers.some(([name]) => name === 'content-length' || name === 'transfer-encoding');
  let body = request.body ?? Buffer.alloc(0);
  if (request.chunked && request.body) {
    lines.push('transfer-encoding: chunked');
    const chunk = (b: Buffer): Buffer => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
    const half = Math.floor(body.length / 2);
    const parts = half > 0 ? [body.subarray(0, half), body.subarray(half)] : body.length > 0 ? [body] : [];
    body = Buffer.concat([...parts.map(chunk), Buffer.from('0\r\n\r\n')]);
  } else if (request.body && !explicitLength) {
    lines.push(`content-length: ${body.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}
