/**
 * Starts a real Webhook Chat server for a test: in-process (buildApp + listen, fast) or as a child
 * process running src/main.ts (for restarts, SIGKILL and multi-instance tests). Either way it
 * listens on 127.0.0.1 with a fresh SQLite file unless DATABASE_URL is given, and `stop()`
 * removes everything it made.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, type BuiltApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { postgresSkip, startPostgres, type PostgresServer } from './postgres.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  adminToken: string;
  /** The DATABASE_URL in use. */
  databaseUrl: string;
  /** In-process servers only: the app, for white-box assertions. */
  built: BuiltApp | null;
  createAgent(input?: { name?: string; id?: string; endpointUrl?: string; description?: string }): Promise<AgentCredentials>;
  /** POSTs to webhook-response with the agent's bearer token. */
  webhook(body: Record<string, unknown>, token: string): Promise<Response>;
  /** Stops and starts again on the same port and database. */
  restart(): Promise<void>;
  /** Stops the server (gracefully) and removes its temporary files. */
  stop(): Promise<void>;
  /** Child-process servers only: SIGKILL, no cleanup of the database. */
  kill(): Promise<void>;
  /** Child-process servers only: everything it printed. */
  output(): string;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Run src/main.ts in a child process instead of in this process. */
  process?: boolean;
  /** Keep the database directory on stop (the caller removes it). */
  keepData?: boolean;
}

function baseEnv(dir: string, adminToken: string, extra: Record<string, string>): Record<string, string> {
  return {
    DATABASE_URL: `sqlite:${join(dir, 'chat.db')}`,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ADMIN_TOKEN: adminToken,
    DEMO: '0',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

async function waitForPort(child: ChildProcess, read: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${read()}`)), 30_000);
    const check = (): void => {
      const match = /Chat page:\s+http:\/\/[^:]+:(\d+)\/chat/.exec(read());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${read()}`));
    });
  });
}

/**
 * With TEST_DATABASE=postgres, servers get a fresh database on one throwaway PostgreSQL server per
 * test process (stopped when the process exits), so the same API tests run on both dialects.
 */
let sharedPostgres: Promise<PostgresServer> | null = null;
export const TEST_DATABASE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

async function freshDatabaseUrl(): Promise<string | null> {
  if (TEST_DATABASE !== 'postgres') return null;
  const skip = postgresSkip();
  if (skip) throw new Error(`TEST_DATABASE=postgres: ${skip}`);
  sharedPostgres ??= startPostgres();
  return (await sharedPostgres).createDatabase();
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wc-test-'));
  const adminToken = `admin_${randomBytes(16).toString('hex')}`;
  const postgresUrl = options.env?.DATABASE_URL ? null : await freshDatabaseUrl();
  let env = baseEnv(dir, adminToken, { ...(postgresUrl ? { DATABASE_URL: postgresUrl } : {}), ...(options.env ?? {}) });
  let built: BuiltApp | null = null;
  let child: ChildProcess | null = null;
  let log = '';
  let port = 0;

  async function start(): Promise<void> {
    if (options.process) {
      log = '';
      child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      port = await waitForPort(child, () => log);
    } else {
      built = await buildApp(loadConfig(env));
      const url = await built.listen();
      port = Number(new URL(url).port);
      built.startBackground();
    }
    env = { ...env, PORT: String(port) };
  }

  async function halt(): Promise<void> {
    if (built) {
      await built.app.close();
      built = null;
    }
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    }
    child = null;
  }

  await start();
  const server: TestServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    adminToken,
    get databaseUrl() {
      return env.DATABASE_URL as string;
    },
    get built() {
      return built;
    },
    async createAgent(input = {}) {
      const response = await fetch(`${server.url}/api/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: input.name ?? 'Test agent', ...input }),
      });
      if (response.status !== 201) throw new Error(`createAgent: ${response.status} ${await response.text()}`);
      return (await response.json()) as AgentCredentials;
    },
    webhook(body, token) {
      return fetch(`${server.url}/api/communications/webhook-response`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
    async restart() {
      await halt();
      await start();
    },
    async stop() {
      await halt();
      if (!options.keepData) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      const running = child;
      if (!running) throw new Error('kill() needs a child-process server');
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
      child = null;
    },
    output: () => log,
  };
  return server;
}
