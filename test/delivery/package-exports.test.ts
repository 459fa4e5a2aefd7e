/**
 * The published package: the build (tsconfig.build.json, as `npm run build:server` runs it)
 * emits the files package.json "exports" and "bin" name, and importing the package by its name
 * gives the SDK. The build goes to a temporary directory laid out like an installed package.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { signedHeaders } from '../../src/delivery/sender.js';
import type * as Protocol from '../../src/protocol/index.js';
import type * as Sdk from '../../src/sdk/index.js';
import { ROOT } from '../support/server.js';

const run = promisify(execFile);

interface PackageJson {
  name: string;
  exports: Record<string, string>;
  bin: Record<string, string>;
}

test('package.json exports and bin point at what the build emits, and the SDK imports by package name', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wc-package-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The same compiler and config as `npm run build:server`, into <dir>/dist instead of ./dist.
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: ROOT });

  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  for (const [entry, target] of [...Object.entries(pkg.exports), ...Object.entries(pkg.bin)]) {
    assert.ok(existsSync(join(dir, target)), `${entry} → ${target} is not emitted by the build`);
  }
  for (const target of Object.values(pkg.exports)) {
    assert.ok(existsSync(join(dir, target.replace(/\.js$/, '.d.ts'))), `${target} has no type declarations beside it`);
  }

  // An installed copy: package.json at the root, dependencies reachable, imported by its name.
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'consumer.mjs'), `export * as sdk from '${pkg.name}';\nexport * as protocol from '${pkg.name}/protocol';\n`);
  const { sdk, protocol } = (await import(pathToFileURL(join(dir, 'consumer.mjs')).href)) as {
    sdk: typeof Sdk;
    protocol: typeof Protocol;
  };
  for (const name of ['verifyTaskWebhook', 'WebhookVerificationError', 'AgentClient', 'WebhookChatError'] as const) {
    assert.equal(typeof sdk[name], 'function', `the package exports ${name}`);
  }
  assert.equal(typeof protocol.TASK_ID_PATTERN, 'string', 'webhook-chat/protocol exports the ID patterns');

  // The built SDK verifies what the server signs.
  const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  const body = JSON.stringify({ type: 'task.message', taskId: 'task_1', messageId: 'm1', agentId: 'a', message: 'hi', createdAt: new Date().toISOString(), responseUrl: 'http://x/' });
  const headers = signedHeaders(secret, 'dlv_1', body, new Date());
  assert.equal(sdk.verifyTaskWebhook(secret, body, headers).taskId, 'task_1');
  assert.throws(() => sdk.verifyTaskWebhook(secret, body.replace('hi', 'ho'), headers), sdk.WebhookVerificationError);
  const client = new sdk.AgentClient({ baseUrl: 'http://127.0.0.1:9', token: 'wct_x' });
  assert.equal(typeof client.respond, 'function');
});
