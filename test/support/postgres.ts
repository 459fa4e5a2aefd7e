/**
 * A throwaway PostgreSQL server for tests, from the distribution's binaries
 * (`/usr/lib/postgresql/<version>/bin`, highest version, or `POSTGRES_BIN`).
 *
 * PostgreSQL refuses to run as root, so as root every binary runs through `runuser -u postgres`.
 * The cluster lives in a fresh temporary directory (data, log and Unix socket), listens on
 * 127.0.0.1 on a free port (fsync off, deadlock_timeout 100 ms so that deadlock tests are quick),
 * and is deleted by `stop()`. Servers still running when the process
 * exits (a failed test, Ctrl-C) are killed and deleted too. This module never installs anything:
 * without the binaries, `postgresSkip()` skips the suite with its reason, or fails it when
 * REQUIRE_POSTGRES=1.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface PostgresAvailability {
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  /** The directory holding initdb, pg_ctl and postgres. */
  binDir?: string;
  /** The account to run as when we are root. */
  runAs?: { uid: number; gid: number };
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** The temporary directory holding data/, log and the Unix socket. */
  readonly dir: string;
  /** Milliseconds taken by initdb and by the first start, for reports. */
  readonly timings: { initdbMs: number; startMs: number };
  /** Creates an empty database and returns its URL. Without a name, a unique one is made up. About 250 ms. */
  createDatabase(name?: string): Promise<string>;
  /**
   * Creates an empty schema in the `postgres` database and returns a URL whose connections use it
   * as their search_path: a fresh, isolated store for one test in a few milliseconds. (NOTIFY
   * channels and advisory locks are per database, so they are shared between schemas.)
   */
  createSchema(name?: string): Promise<string>;
  /**
   * Stops the server and keeps its data, to simulate an outage. `fast` (the default) disconnects
   * clients with an admin-shutdown error; `immediate` is closer to a crash. Does nothing if stopped.
   */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port with the same data. Does nothing if it is running. */
  startServer(): Promise<void>;
  restart(): Promise<void>;
  /** Kills the backends of `application_name` (all client backends when omitted). Returns how many. */
  terminateBackends(applicationName?: string): Promise<number>;
  /** Stops the server and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

let availability: PostgresAvailability | undefined;

function findBinDir(): string | undefined {
  const fromEnv = process.env.POSTGRES_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'pg_ctl')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(bin, name)))) return bin;
  }
  return undefined;
}

function postgresAccount(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

/** Whether a throwaway server can be started here, and if not, why. */
export function postgresAvailability(): PostgresAvailability {
  if (availability) return availability;
  const binDir = findBinDir();
  if (!binDir) {
    availability = {
      available: false,
      reason: 'no PostgreSQL binaries in /usr/lib/postgresql/*/bin or $POSTGRES_BIN (apt-get install -y postgresql)',
    };
  } else if (process.getuid?.() === 0) {
    const runAs = postgresAccount();
    const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].some((p) => existsSync(p));
    availability =
      runAs && runuser
        ? { available: true, binDir, runAs }
        : { available: false, reason: 'running as root, but there is no "postgres" account or no runuser to drop to it' };
  } else {
    availability = { available: true, binDir };
  }
  return availability;
}

/**
 * The `skip` option for a PostgreSQL suite: false when PostgreSQL is available, otherwise the
 * reason. With REQUIRE_POSTGRES=1 a missing PostgreSQL throws instead, failing the test file.
 */
export function postgresSkip(): string | false {
  const a = postgresAvailability();
  if (a.available) return false;
  if (process.env.REQUIRE_POSTGRES === '1') {
    throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL cannot be started: ${a.reason ?? 'unknown reason'}`);
  }
  return `PostgreSQL unavailable: ${a.reason ?? 'unknown reason'} (set REQUIRE_POSTGRES=1 to fail instead of skipping)`;
}

/** The command line for a PostgreSQL binary, dropped to the postgres account when we are root. */
function command(binDir: string, runAs: PostgresAvailability['runAs'], tool: string, args: string[]): [string, string[]] {
  const path = join(binDir, tool);
  return runAs ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
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

/** Servers not yet stopped, killed synchronously if the process exits first. */
const live = new Map<string, () => void>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const cleanAll = (): void => {
    for (const clean of [...live.values()]) clean();
  };
  process.once('exit', cleanAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanAll();
      process.kill(process.pid, signal);
    });
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const a = postgresAvailability();
  if (!a.available || !a.binDir) throw new Error(`PostgreSQL unavailable: ${a.reason ?? 'unknown reason'}`);
  const { binDir, runAs } = a;
  const exec = (tool: string, args: string[]) => {
    const [file, argv] = command(binDir, runAs, tool, args);
    return run(file, argv, { timeout: 60_000 });
  };

  const dir = mkdtempSync(join(tmpdir(), 'webhook-chat-pg-'));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  let port = 0;
  let running = false;
  let removed = false;

  const removeSync = (): void => {
    if (removed) return;
    if (running) {
      try {
        const [file, argv] = command(binDir, runAs, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        execFileSync(file, argv, { stdio: 'ignore', timeout: 10_000 });
      } catch {
        // Already gone; the directory still has to go.
      }
      running = false;
    }
    rmSync(dir, { recursive: true, force: true });
    removed = true;
    live.delete(dir);
  };
  live.set(dir, removeSync);
  installExitHooks();

  const startServer = async (): Promise<void> => {
    if (running) return;
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200 -c deadlock_timeout=100ms`;
    await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
    running = true;
  };
  const stopServer = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    if (!running) return;
    await exec('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
    running = false;
  };

  try {
    let t0 = performance.now();
    await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale']);
    const initdbMs = performance.now() - t0;
    t0 = performance.now();
    // The port was free a moment ago; if something took it since, try another.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await startServer();
        break;
      } catch (error) {
        if (attempt >= 3) throw new Error(`pg_ctl start failed: ${readLog(log)}`, { cause: error });
      }
    }
    const startMs = performance.now() - t0;
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let created = 0;
    const checkName = (name: string): string => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid name "${name}"`);
      return name;
    };

    return {
      url,
      port,
      dir,
      timings: { initdbMs, startMs },
      async createDatabase(name?: string): Promise<string> {
        const db = checkName(name ?? `test_${process.pid}_${++created}`);
        await withClient(url, (c) => c.query(`CREATE DATABASE "${db}"`));
        return `postgres://postgres@127.0.0.1:${port}/${db}`;
      },
      async createSchema(name?: string): Promise<string> {
        const schema = checkName(name ?? `test_${process.pid}_${++created}`);
        await withClient(url, (c) => c.query(`CREATE SCHEMA "${schema}"`));
        return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      },
      stopServer,
      startServer,
      async restart(): Promise<void> {
        await stopServer();
        await startServer();
      },
      async terminateBackends(applicationName?: string): Promise<number> {
        const { rows } = await withClient(url, (c) =>
          c.query<{ n: string }>(
            `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'
               AND ($1::text IS NULL OR application_name = $1)`,
            [applicationName ?? null],
          ),
        );
        return Number(rows[0]?.n ?? 0);
      },
      async stop(): Promise<void> {
        if (removed) return;
        await stopServer('immediate').catch(() => undefined);
        removeSync();
      },
    };
  } catch (error) {
    removeSync();
    throw error;
  }
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
