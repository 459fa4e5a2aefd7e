/**
 * A throwaway PostgreSQL server for the bench. Unlike the test harness's (which runs with
 * fsync=off for speed), this one keeps PostgreSQL's durable defaults (fsync=on,
 * synchronous_commit=on), so its ingest figures compare fairly with SQLite's FULL. It reuses the
 * harness's discovery of the binaries and of the account to run them as.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { applyPriority, onCleanup, removeDir, tempDir } from './processes.js';

const run = promisify(execFile);

export interface BenchPostgres {
  url: string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const { postgresAvailability } = await import('../../test/support/postgres.js');
  const a = postgresAvailability();
  if (!a.available || !a.binDir) throw new Error(`PostgreSQL unavailable: ${a.reason ?? 'unknown'}`);
  const binDir = a.binDir;
  const runAs = a.runAs;
  const command = (tool: string, args: string[]): [string, string[]] =>
    runAs ? ['runuser', ['-u', 'postgres', '--', join(binDir, tool), ...args]] : [join(binDir, tool), args];
  const dir = tempDir('wc-bench-pg-');
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const exec = (tool: string, args: string[]) => {
    const [file, argv] = command(tool, args);
    return run(file, argv, { timeout: 60_000 });
  };
  let running = false;
  const stopSync = (): void => {
    if (!running) return;
    running = false;
    const [file, argv] = command('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    try {
      execFileSync(file, argv, { stdio: 'ignore', timeout: 15_000 });
    } catch {
      // already stopped
    }
  };
  const unregister = onCleanup(stopSync);
  await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=300 -c shared_buffers=256MB`;
  await exec('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o', options, 'start']);
  running = true;
  // Backends fork from the postmaster and inherit its priority (see --priority).
  applyPriority(Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (running) {
        await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
        running = false;
      }
      unregister();
      removeDir(dir);
    },
  };
}
