/**
 * StandardWebhook (native HMAC) signs exactly as the `standardwebhooks` package does, and its
 * verify keeps the package's rules: wrong secret, changed body, stale timestamp and several
 * signatures in one header.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { StandardWebhook } from '../../src/relay/standard-webhook.js';

const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

test('signatures are byte for byte the package’s, for many secrets, ids, bodies and times', () => {
  for (let i = 0; i < 200; i++) {
    const s = i % 7 === 0 ? secret().slice('whsec_'.length) : secret();
    const id = `msg_${randomBytes(1 + (i % 40)).toString('base64url')}`;
    const body = JSON.stringify({ taskId: `t${i}`, response: `héllo ✓ ${'x'.repeat(i * 13)}`, n: i });
    const at = new Date(1_700_000_000_000 + i * 1_234_567);
    assert.equal(new StandardWebhook(s).sign(id, at, body), new Webhook(s).sign(id, at, body));
    assert.equal(new StandardWebhook(s).sign(id, at, Buffer.from(body)), new Webhook(s).sign(id, at, body));
  }
});

test('verify accepts the package’s signatures and refuses what the package refuses', () => {
  const s = secret();
  const other = secret();
  const body = '{"taskId":"t","response":"hi"}';
  const now = new Date();
  const headers = (signature: string, at = now) => ({
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  });
  const good = new Webhook(s).sign('msg_1', now, body);
  const verifier = new StandardWebhook(s);
  assert.doesNotThrow(() => verifier.verify(body, headers(good), { jsonParse: false }));
  assert.doesNotThrow(() => verifier.verify(body, headers(`${new Webhook(other).sign('msg_1', now, body)} ${good}`)));
  assert.throws(() => verifier.verify(body, headers(new Webhook(other).sign('msg_1', now, body))), /No matching signature/);
  assert.throws(() => verifier.verify(`${body} `, headers(good)), /No matching signature/);
  const old = new Date(now.getTime() - 6 * 60_000);
  assert.throws(() => verifier.verify(body, headers(new Webhook(s).sign('msg_1', old, body), old)), /too old/);
  assert.throws(() => verifier.verify(body, { 'webhook-id': 'msg_1' } as never), /Missing required headers/);
});

test('a secret the package refuses is refused here too', () => {
  assert.throws(() => new StandardWebhook('whsec_'), /empty/);
});
