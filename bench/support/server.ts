/**
 * The Webhook Chat server under test, as a child process (`node --import tsx src/main.ts`, like
 * test/support/server.ts), bound to 127.0.0.1 on a free port, with its database in a temp dir.
 * Limits that would throttle a load test are raised; everything else is the default.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, spawnTs, tempDir, waitForOutput, type Managed } from './processes.js';

export interface ChatServer {
  url: string;
  port: number;
  pid: number;
  adminToken: string;
  /** The SQLite file (when not on PostgreSQL). */
  dbPath: string;
  env: Record<string, string>;
  managed: Managed;
  /** SIGTERM and wait. The database stays (the temp dir goes at cleanup). */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Starts again on the same database (a new port unless PORT was given). */
  restart(): Promise<void>;
  /** Throws (with the server's last output) if the server exited when nobody asked it to. */
  assertAlive(): void;
}

/** Env shared by every bench server: quiet logs, no demo, limits out of the way. */
export function benchEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DEMO: '0',
    RATE_LIMIT_AGENT_PER_MINUTE: '10000000',
    RATE_LIMIT_SESSION_PER_MINUTE: '10000000',
    // The config caps this at 1,000; readers use one session each, so it never binds.
    MAX_STREAMS_PER_SESSION: '1000',
    TURN_TIMEOUT_MS: String(30 * 86_400_000),
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}

export interface StartChatOptions {
  env?: Record<string, string>;
  /** Use this SQLite file instead of a fresh one. */
  dbPath?: string;
  nodeArgs?: string[];
  /** Modules to --import after tsx (e.g. the GC hook of the memory benchmark). */
  preload?: string[];
}

/**
 * For looking inside a bench server: BENCH_CPU_PROF_DIR=<dir> writes a V8 CPU profile of each one
 * into <dir> when it stops; BENCH_SERVER_NODE_ARGS adds node flags (space-separated, e.g. --trace-gc).
 */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...extra];
}

export async function startChatServer(options: StartChatOptions = {}): Promise<ChatServer> {
  const adminToken = `admin_${randomBytes(16).toString('hex')}`;
  const dbPath = options.dbPath ?? join(tempDir(), 'chat.db');
  const env = benchEnv({ DATABASE_URL: `sqlite:${dbPath}`, ADMIN_TOKEN: adminToken, ...options.env });
  let managed: Managed;
  let port = 0;
  let stopping = false;

  async function start(): Promise<void> {
    stopping = false;
    managed = spawnTs(join(ROOT, 'src/main.ts'), [], {
      env,
      nodeArgs: [...(options.nodeArgs ?? []), ...profileArgs()],
      ...(options.preload ? { preload: options.preload } : {}),
    });
    const match = await waitForOutput(managed, /Chat page:\s+http:\/\/[^:]+:(\d+)\/chat/);
    port = Number(match[1]);
  }
  await start();

  const server: ChatServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get pid() {
      return managed.pid;
    },
    get managed() {
      return managed;
    },
    adminToken,
    dbPath,
    env,
    stop: () => {
      stopping = true;
      return managed.stop();
    },
    kill: () => {
      stopping = true;
      return managed.kill();
    },
    async restart() {
      stopping = true;
      await managed.stop();
      await start();
    },
    assertAlive() {
      const { exitCode, signalCode } = managed.child;
      if (!stopping && (exitCode !== null || signalCode !== null)) {
        throw new Error(`server on port ${port} exited (${exitCode ?? signalCode}) during the benchmark:\n${managed.output().slice(-3000)}`);
      }
    },
  };
  return server;
}
