#!/usr/bin/env node
// `npm test`: build the chat page, typecheck, lint, then every test file with node's test runner.
// Suites that need Chromium or PostgreSQL run when they are present; REQUIRE_BROWSER=1 and
// REQUIRE_POSTGRES=1 turn a missing one into a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));
const quick = args.includes('--no-checks');

function run(label, command, commandArgs) {
  process.stdout.write(`\n▶ ${label}\n`);
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    process.stdout.write(`\n✖ ${label} failed\n`);
    process.exit(result.status ?? 1);
  }
}

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out.sort();
}

/**
 * The PostgreSQL binaries the test harness would use (test/support/postgres.ts): POSTGRES_BIN when
 * set, otherwise the highest /usr/lib/postgresql/<version>/bin. Null when there are none.
 */
function findPostgresBin() {
  const usable = (dir) => ['initdb', 'pg_ctl'].every((tool) => existsSync(join(dir, tool)));
  if (process.env.POSTGRES_BIN) return usable(process.env.POSTGRES_BIN) ? process.env.POSTGRES_BIN : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find(usable) ?? null;
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
if (!quick) {
  run('build the chat page', npx, ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']);
  run('typecheck (server, tests, bench)', npx, ['tsc', '--noEmit', '-p', '.']);
  run('typecheck (chat page)', npx, ['tsc', '--noEmit', '-p', 'web/tsconfig.json']);
  run('lint', npx, ['eslint', '--max-warnings=0', '.']);
}
const files = only.length > 0 ? only : testFiles(join(root, 'test'));
// The API suite runs a second time against PostgreSQL (same tests, other dialect) when PostgreSQL
// is there; under REQUIRE_POSTGRES=1 its absence fails that run.
const apiFiles = only.length > 0 ? [] : testFiles(join(root, 'test', 'api'));
const postgresBin = findPostgresBin();
const withPostgres = apiFiles.length > 0 && (postgresBin !== null || process.env.REQUIRE_POSTGRES === '1');
if (apiFiles.length > 0 && !withPostgres) {
  const where = process.env.POSTGRES_BIN ? `POSTGRES_BIN=${process.env.POSTGRES_BIN} has no initdb and pg_ctl` : 'no initdb and pg_ctl in /usr/lib/postgresql/*/bin and POSTGRES_BIN is not set';
  process.stdout.write(`\n⚠ Skipping the API suite on PostgreSQL (${where}): it runs on SQLite only. Set REQUIRE_POSTGRES=1 to make this a failure.\n`);
}
const testArgs = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000'];
const started = Date.now();
const results = [];
const sqlite = spawnSync(process.execPath, [...testArgs, ...files], { cwd: root, stdio: 'inherit', env: process.env });
results.push(['all suites (API on SQLite)', sqlite.status]);
if (withPostgres) {
  process.stdout.write(`\n▶ API suite on PostgreSQL (${apiFiles.length} files${postgresBin ? `, binaries in ${postgresBin}` : ''})\n`);
  const pg = spawnSync(process.execPath, [...testArgs, ...apiFiles], { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_DATABASE: 'postgres' } });
  results.push(['API suite on PostgreSQL', pg.status]);
}
process.stdout.write(`\n${results.map(([name, status]) => `${status === 0 ? '✔' : '✖'} ${name}`).join('\n')}\n`);
process.stdout.write(`(${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
process.exit(results.every(([, status]) => status === 0) ? 0 : 1);
