/**
 * Preloaded into a server under test (after tsx: `--import tsx --import probe-preload.ts`) to see
 * inside it without touching src/:
 * - SIGUSR2 runs a full garbage collection (when started with --expose-gc) and prints
 *   `[bench-gc]`, so the memory benchmark reads RSS without set-up garbage, for every server alike;
 * - SIGWINCH prints `[bench-probe] {json}` and resets: event-loop delay (perf_hooks) and, for
 *   servers on better-sqlite3, how long each `exec('COMMIT')` took and how many SAVEPOINT units
 *   (webhooks, in the SQLite store's group commit) each commit carried.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let commits: number[] = [];
let units = 0;

interface Statement {
  run(...args: unknown[]): unknown;
}
interface DatabaseClass {
  prototype: { exec(sql: string): unknown; prepare(sql: string): Statement };
}

/** Times `fn` when it is the COMMIT, counts it when it opens a unit of the group commit. */
function observe<T>(sql: string, fn: () => T): T {
  if (sql === 'SAVEPOINT unit') units++;
  if (sql !== 'COMMIT') return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    commits.push(performance.now() - t0);
  }
}

try {
  const Database = require('better-sqlite3') as DatabaseClass;
  const { exec, prepare } = Database.prototype;
  Database.prototype.exec = function patchedExec(this: unknown, sql: string): unknown {
    return observe(sql, () => exec.call(this, sql));
  };
  // The store may prepare its BEGIN/SAVEPOINT/COMMIT once and run them; wrap those statements.
  Database.prototype.prepare = function patchedPrepare(this: unknown, sql: string): Statement {
    const statement = prepare.call(this, sql);
    if (sql === 'COMMIT' || sql === 'SAVEPOINT unit') {
      const run = statement.run;
      statement.run = (...args: unknown[]) => observe(sql, () => run.apply(statement, args));
    }
    return statement;
  };
} catch {
  // Not a better-sqlite3 server: event-loop delay only.
}

const collect = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => {
  collect?.();
  collect?.();
  // Let the freed pages go back before RSS is read.
  setTimeout(() => process.stdout.write(`[bench-gc ${Date.now()}] ${collect ? 'collected' : 'no gc'}\n`), 50);
});

process.on('SIGWINCH', () => {
  const sorted = [...commits].sort((a, b) => a - b);
  const at = (p: number): number | null => (sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number));
  const report = {
    loopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    commits: { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1), webhooksPerCommit: sorted.length > 0 ? units / sorted.length : null },
  };
  loop.reset();
  commits = [];
  units = 0;
  process.stdout.write(`[bench-probe] ${JSON.stringify(report)}\n`);
});
