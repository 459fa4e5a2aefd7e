/**
 * docs/agents.md shows how to verify and make signatures with plain openssl. These tests run the
 * openssl command line, and the very shell blocks of the guide, against what a real server sends
 * and accepts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { eventually } from '../support/client.js';
import { ROOT } from '../support/server.js';
import type { Received } from '../support/agent-server.js';
import { pushRig, receivedFor } from './helpers.js';

function run(command: string, args: string[], options: { input?: Buffer | string; cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The shell block of docs/agents.md marked `<!-- tested by …: name -->`. */
function docsBlock(name: string): string {
  const docs = readFileSync(join(ROOT, 'docs/agents.md'), 'utf8');
  const match = new RegExp(`<!-- tested by test/delivery/signature-docs\\.test\\.ts: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(docs);
  assert.ok(match, `docs/agents.md has no block "${name}"`);
  return match[1] as string;
}

function workDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'wc-sig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function firstWebhook(t: TestContext) {
  const rig = await pushRig(t);
  const sent = await rig.session.send(rig.agent.id, 'Sign this: "quotes", ünïcödé, and a\nnewline');
  const hit = await eventually(() => {
    const [first] = receivedFor(rig.agentServer, sent.body.taskId);
    assert.ok(first, 'no webhook yet');
    return first;
  });
  return { ...rig, sent, hit };
}

function signatureEnv(secret: string, hit: Received): Record<string, string> {
  return {
    SECRET: secret,
    WEBHOOK_ID: String(hit.headers['webhook-id']),
    WEBHOOK_TIMESTAMP: String(hit.headers['webhook-timestamp']),
    WEBHOOK_SIGNATURE: String(hit.headers['webhook-signature']),
  };
}

test('the openssl command line computes the signature the server sent', async (t) => {
  const { agent, hit } = await firstWebhook(t);
  const keyHex = Buffer.from(agent.signingSecret.slice('whsec_'.length), 'base64').toString('hex');
  const signed = Buffer.concat([Buffer.from(`${hit.headers['webhook-id']}.${hit.headers['webhook-timestamp']}.`), Buffer.from(hit.raw, 'utf8')]);
  const openssl = await run('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${keyHex}`, '-binary'], { input: signed });
  assert.equal(openssl.code, 0, openssl.stderr);
  assert.equal(`v1,${openssl.stdout.toString('base64')}`, hit.headers['webhook-signature']);
  // The same, by node:crypto, for anyone porting the steps.
  const key = Buffer.from(agent.signingSecret.slice('whsec_'.length), 'base64');
  assert.equal(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`, hit.headers['webhook-signature']);
});

test('the guide\'s verification steps accept a real webhook and reject a tampered one', async (t) => {
  const { agent, hit } = await firstWebhook(t);
  const dir = workDir(t);
  const script = docsBlock('verify-webhook');
  writeFileSync(join(dir, 'body.json'), hit.raw);
  const good = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: signatureEnv(agent.signingSecret, hit) });
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout.toString(), 'signature OK\ntimestamp OK\n');

  writeFileSync(join(dir, 'body.json'), hit.raw.replace('Sign this', 'Sign that'));
  const tampered = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: signatureEnv(agent.signingSecret, hit) });
  assert.equal(tampered.stdout.toString(), 'timestamp OK\n', 'a changed body does not verify');

  writeFileSync(join(dir, 'body.json'), hit.raw);
  const otherSecret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  const wrongKey = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: signatureEnv(otherSecret, hit) });
  assert.equal(wrongKey.stdout.toString(), 'timestamp OK\n', 'another secret does not verify');

  const stale = await run('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: dir,
    env: { ...signatureEnv(agent.signingSecret, hit), WEBHOOK_TIMESTAMP: String(Number(hit.headers['webhook-timestamp']) - 600) },
  });
  assert.equal(stale.stdout.toString(), '', 'an old timestamp fails both checks (it is part of the signature too)');
});

test('an answer signed with the guide\'s openssl steps is accepted; one signed with another secret is refused', async (t) => {
  const { server, agent, session, sent } = await firstWebhook(t);
  const dir = workDir(t);
  writeFileSync(join(dir, 'answer.json'), JSON.stringify({ taskId: sent.body.taskId, response: 'Signed by openssl: "ok" ✓', inReplyTo: sent.body.messageId }));
  const script = docsBlock('sign-answer');
  const env = { SECRET: agent.signingSecret, SERVER: server.url };
  const answered = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env });
  assert.equal(answered.code, 0, answered.stderr);
  const body = JSON.parse(answered.stdout.toString()) as { success: boolean; duplicate: boolean };
  assert.equal(body.success, true, answered.stdout.toString());
  assert.equal(body.duplicate, false);
  const page = await session.responses(sent.body.taskId);
  assert.deepEqual(page.body.responses.map((r) => r.response), ['Signed by openssl: "ok" ✓']);
  assert.equal(page.body.task.state, 'answered');

  // Signed with another secret: refused.
  const forged = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: { ...env, SECRET: `whsec_${Buffer.alloc(32, 3).toString('base64')}` } });
  assert.match(forged.stdout.toString(), /"code":"SIGNATURE_INVALID"/);
});
