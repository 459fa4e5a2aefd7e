/** The webhook-chat CLI, spawned as a child process against a real server. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, Session } from '../support/client.js';
import { ROOT } from '../support/server.js';
import { deliveriesOf, pushRig, startTestServer } from './helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
/** The CLI's environment: nothing inherited that could point it at another server. */
const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('--help explains the commands and each command\'s options, with exit code 0', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  for (const words of ['serve', 'agents create', 'agents rotate', 'respond', 'status', 'deliveries list', 'deliveries replay']) {
    assert.match(top.stdout, new RegExp(`\\n  ${words} `), `lists ${words}`);
  }
  const respond = await cli(['respond', '--help']);
  assert.equal(respond.code, 0);
  assert.match(respond.stdout, /Usage: webhook-chat respond --task <taskId> --text <text> \[options\]/);
  for (const option of ['--final', '--message-id', '--in-reply-to', '--token', 'AGENT_TOKEN', '--server', 'WEBHOOK_CHAT_URL']) {
    assert.ok(respond.stdout.includes(option), `respond --help mentions ${option}`);
  }
  const create = await cli(['agents', 'create', '--help']);
  assert.equal(create.code, 0);
  for (const option of ['--name', '--endpoint-url', '--description', '--id', '--admin-token', 'ADMIN_TOKEN', '--json']) {
    assert.ok(create.stdout.includes(option), `agents create --help mentions ${option}`);
  }
  const bare = await cli([]);
  assert.equal(bare.code, 2, 'no command is a usage error');
  assert.match(bare.stdout, /Commands:/);
});

test('bad command lines exit 2 with a message that says what is wrong', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['respond', '--task', 'task_x', '--token', 't'], /Missing --text/],
    [['respond', '--task', 'task_x', '--text', 'hi'], /Missing --token \(or set AGENT_TOKEN\)/],
    [['respond', '--task', 'task_x', '--text', 'hi', '--token', 't', '--final', 'maybe'], /--final must be true or false/],
    [['respond', '--task', 'task_x', '--text', 'hi', '--token', 't', '--server', 'not a url'], /--server must be a URL/],
    [['deliveries', 'list', '--admin-token', 'x', '--colour'], /Unknown option '--colour'/],
    [['deliveries', 'list', '--admin-token', 'x', '--state', 'lost'], /--state must be one of/],
    [['deliveries', 'replay', '--admin-token', 'x'], /Expected <deliveryId>/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args);
    assert.equal(run.code, 2, `${args.join(' ')} → ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /--help` for usage/);
  }
});

test('an unreachable server exits 3', async () => {
  const port = await closedPort();
  const run = await cli(['respond', '--task', 'task_x', '--text', 'hi'], { AGENT_TOKEN: 'wct_x', WEBHOOK_CHAT_URL: `http://127.0.0.1:${port}` });
  assert.equal(run.code, 3);
  assert.match(run.stderr, new RegExp(`Cannot reach Webhook Chat at http://127.0.0.1:${port}: ECONNREFUSED`));
});

test('agents create prints the credentials once; respond and status answer a task with them', async (t) => {
  const server = await startTestServer(t, {});
  const env = { WEBHOOK_CHAT_URL: server.url, ADMIN_TOKEN: server.adminToken };

  const human = await cli(['agents', 'create', '--name', 'CLI bot', '--description', 'Made by the CLI', '--endpoint-url', 'http://127.0.0.1:9/hook'], env);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /Created agent "CLI bot" \(agt_[0-9a-f]+\), push mode: tasks go to http:\/\/127\.0\.0\.1:9\/hook/);
  assert.match(human.stdout, /Agent token: +wct_\S+/);
  assert.match(human.stdout, /Signing secret: +whsec_\S+/);
  assert.match(human.stdout, /shown only once/);

  const created = await cli(['agents', 'create', '--name', 'Puller', '--id', 'cli-puller', '--json', '--server', server.url, '--admin-token', server.adminToken]);
  assert.equal(created.code, 0, created.stderr);
  const agent = JSON.parse(created.stdout) as { id: string; token: string; signingSecret: string };
  assert.equal(agent.id, 'cli-puller');
  assert.match(agent.signingSecret, /^whsec_/);
  const again = await cli(['agents', 'create', '--name', 'Puller', '--id', 'cli-puller'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /AGENT_EXISTS \(HTTP 409\)/);

  const session = new Session(server.url);
  const sent = await session.send(agent.id, 'Hello from the page');
  const agentEnv = { WEBHOOK_CHAT_URL: server.url, AGENT_TOKEN: agent.token };
  const working = await cli(['status', '--task', sent.body.taskId, '--status', 'working', '--text', 'Thinking'], agentEnv);
  assert.equal(working.code, 0, working.stderr);
  assert.deepEqual((await session.responses(sent.body.taskId)).body.task.agentStatus?.text, 'Thinking');

  const partial = await cli(['respond', '--task', sent.body.taskId, '--text', 'Part one', '--final', 'false', '--message-id', 'cli-1'], agentEnv);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stdout, /Stored answer cli-1 \(seq \d+\) in task_\S+; the page keeps waiting for more/);
  assert.equal((await session.responses(sent.body.taskId)).body.task.state, 'working');
  const final = await cli(['respond', '--task', sent.body.taskId, '--text', 'Done', '--in-reply-to', sent.body.messageId, '--json'], agentEnv);
  assert.equal(final.code, 0, final.stderr);
  const stored = JSON.parse(final.stdout) as { messageId: string; duplicate: boolean };
  assert.equal(stored.duplicate, false);
  const repeat = await cli(['respond', '--task', sent.body.taskId, '--text', 'Done', '--message-id', stored.messageId], agentEnv);
  assert.equal(repeat.code, 0);
  assert.match(repeat.stdout, /Already stored/);

  const page = await session.responses(sent.body.taskId);
  assert.deepEqual(page.body.responses.map((r) => [r.response, r.final]), [['Part one', false], ['Done', true]]);
  assert.equal(page.body.task.state, 'answered');

  const wrongToken = await cli(['respond', '--task', sent.body.taskId, '--text', 'Hi', '--token', 'wct_wrong', '--server', server.url]);
  assert.equal(wrongToken.code, 1);
  assert.match(wrongToken.stderr, /UNAUTHENTICATED \(HTTP 401\).*Check --token/);
  const wrongAdmin = await cli(['agents', 'create', '--name', 'X'], { ...env, ADMIN_TOKEN: 'not-the-admin-token' });
  assert.equal(wrongAdmin.code, 1);
  assert.match(wrongAdmin.stderr, /UNAUTHENTICATED \(HTTP 401\).*ADMIN_TOKEN/);
});

test('agents rotate issues new credentials; the old token works during the grace period unless it is 0', async (t) => {
  const server = await startTestServer(t, {});
  const env = { WEBHOOK_CHAT_URL: server.url, ADMIN_TOKEN: server.adminToken };
  const agent = await server.createAgent({ name: 'Rotating' });
  const session = new Session(server.url);
  const sent = await session.send(agent.id, 'Hi');

  const rotated = await cli(['agents', 'rotate', agent.id, '--json'], env);
  assert.equal(rotated.code, 0, rotated.stderr);
  const fresh = JSON.parse(rotated.stdout) as { token: string };
  assert.notEqual(fresh.token, agent.token);
  assert.equal((await server.webhook({ taskId: sent.body.taskId, status: 'working' }, agent.token)).status, 200, 'old token in grace');
  assert.equal((await server.webhook({ taskId: sent.body.taskId, status: 'working' }, fresh.token)).status, 200, 'new token');

  const revoked = await cli(['agents', 'rotate', agent.id, '--grace-seconds', '0'], env);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /The old token and secret no longer work/);
  assert.equal((await server.webhook({ taskId: sent.body.taskId, status: 'working' }, fresh.token)).status, 401);
  const missing = await cli(['agents', 'rotate', 'no-such-agent'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /AGENT_NOT_FOUND/);
});

test('deliveries list shows dead letters, deliveries replay sends them again, agents update re-enables an endpoint', async (t) => {
  const { server, agentServer, agent, session } = await pushRig(t);
  const env = { WEBHOOK_CHAT_URL: server.url, ADMIN_TOKEN: server.adminToken };
  agentServer.script.push({ status: 410 });
  const sent = await session.send(agent.id, 'Gone?');
  const dead = await eventually(async () => {
    const [record] = await deliveriesOf(server, sent.body.taskId);
    assert.equal(record?.state, 'failed');
    return record;
  });

  const listed = await cli(['deliveries', 'list', '--state', 'failed'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.includes(`${dead?.id}  failed  task.message (push) to ${agent.id}`), listed.stdout);
  assert.match(listed.stdout, /last error: endpoint answered 410 Gone and was disabled/);
  const json = JSON.parse((await cli(['deliveries', 'list', '--task', sent.body.taskId, '--json'], env)).stdout) as Array<{ id: string }>;
  assert.deepEqual(json.map((d) => d.id), [dead?.id]);

  const updated = await cli(['agents', 'update', agent.id, '--endpoint-url', agentServer.url], env);
  assert.equal(updated.code, 0, updated.stderr);
  assert.match(updated.stdout, /now in push mode/);
  const replayed = await cli(['deliveries', 'replay', String(dead?.id)], env);
  assert.equal(replayed.code, 0, replayed.stderr);
  await eventually(async () => assert.equal((await deliveriesOf(server, sent.body.taskId))[0]?.state, 'delivered'));
  const twice = await cli(['deliveries', 'replay', String(dead?.id)], env);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /DELIVERY_NOT_REPLAYABLE \(HTTP 409\)/);
});

test('serve starts the server with the options given, and stops cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wc-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [...CLI, 'serve', '--port', '0', '--no-demo', '--database', `sqlite:${join(dir, 'chat.db')}`], {
    cwd: ROOT,
    env: { ...BASE_ENV, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = await eventually(() => {
    const match = /Chat page:\s+(http:\/\/127\.0\.0\.1:\d+)\/chat/.exec(output);
    assert.ok(match, `not started yet: ${output}`);
    return match[1] as string;
  }, 20_000);
  const agents = await fetch(`${url}/api/agents`);
  assert.equal(agents.status, 200);
  assert.deepEqual(((await agents.json()) as { agents: unknown[] }).agents, [], '--no-demo: no Echo agent');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
