/**
 * Child processes and temporary directories of a bench run. Everything started here is
 * registered, so `cleanupAll()` (called on exit, on Ctrl-C and after a failure) can stop it and
 * delete what it wrote, whatever state the run is in.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH = join(ROOT, 'bench');

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const hooks = new Set<() => void>();

/** Runs `fn` (synchronously) at cleanup, e.g. to stop a daemon that is not our child. Returns an unregister. */
export function onCleanup(fn: () => void): () => void {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Extra node flags, e.g. --max-old-space-size. */
  nodeArgs?: string[];
  /** TypeScript modules to --import after tsx is registered. */
  preload?: string[];
  /** Open an IPC channel (for bench/support/rpc.ts). */
  ipc?: boolean;
  /** Collect stdout+stderr into `output()` (always on; this caps what is kept). */
  keepOutput?: number;
}

export interface Managed {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

/** Runs a TypeScript file with `node --import tsx`, as the project's own test harness does. */
export function spawnTs(script: string, args: string[] = [], options: SpawnOptions = {}): Managed {
  const nodeArgs = [...(options.nodeArgs ?? []), '--import', 'tsx', ...(options.preload ?? []).flatMap((p) => ['--import', p]), script, ...args];
  // Node cannot raise its own open-file limit, so a shell raises the soft limit to the hard one
  // first: (d) holds 10,000 connections in one process, and a soft limit of 1,024 is common.
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeArgs], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  if (child.pid !== undefined) applyPriority(child.pid);
  const cap = options.keepOutput ?? 200_000;
  let log = '';
  const append = (d: Buffer): void => {
    log += d.toString();
    if (log.length > cap) log = log.slice(-cap);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const managed: Managed = {
    child,
    pid: child.pid ?? -1,
    output: () => log,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  return managed;
}

/**
 * With `--priority` (BENCH_PRIORITY=-10, say), every bench process runs at that nice value, so
 * other work on a shared machine disturbs the figures less. Off by default.
 */
export function applyPriority(pid: number): void {
  const value = Number(process.env.BENCH_PRIORITY ?? '');
  if (!Number.isInteger(value) || value === 0) return;
  try {
    setPriority(pid, value);
  } catch {
    // Not allowed (not root): run at the normal priority.
  }
}

const marks = (managed: Managed, mark: string): number => managed.output().split(mark).length - 1;

/** Asks a server started with probePreload() to collect garbage; resolves once it has. */
export async function collectGarbage(managed: Managed): Promise<void> {
  const before = marks(managed, '[bench-gc ');
  managed.child.kill('SIGUSR2');
  const deadline = Date.now() + 10_000;
  while (marks(managed, '[bench-gc ') === before) {
    if (Date.now() > deadline) throw new Error('server did not answer the GC signal');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ProbeReport {
  loopDelayMs: { p50: number; p99: number; max: number };
  commits: { count: number; p50: number | null; p99: number | null; max: number | null; webhooksPerCommit: number | null };
}

/** What a server started with probePreload() saw since the last call (event loop, commits). */
export async function probe(managed: Managed): Promise<ProbeReport> {
  const before = marks(managed, '[bench-probe] ');
  managed.child.kill('SIGWINCH');
  const deadline = Date.now() + 10_000;
  while (marks(managed, '[bench-probe] ') === before) {
    if (Date.now() > deadline) throw new Error('server did not answer the probe signal');
    await new Promise((r) => setTimeout(r, 20));
  }
  const text = managed.output();
  const line = text.slice(text.lastIndexOf('[bench-probe] ') + '[bench-probe] '.length).split('\n')[0] ?? '{}';
  return JSON.parse(line) as ProbeReport;
}

/** Spawn options that load bench/support/probe-preload.ts into a server (GC and probe signals). */
export const probePreload = (): Pick<SpawnOptions, 'nodeArgs' | 'preload'> => ({
  nodeArgs: ['--expose-gc'],
  preload: [pathToFileURL(join(BENCH, 'support/probe-preload.ts')).href],
});

/** A fresh directory under the system temp dir, deleted by cleanupAll(). */
export function tempDir(prefix = 'wc-bench-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Kills every child still running and deletes every temp dir. Synchronous, so it works on exit. */
export function cleanupAll(): void {
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // keep cleaning
    }
  }
  hooks.clear();
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Waits for a line in a child's output matching `pattern`; returns the match. */
export function waitForOutput(managed: Managed, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const match = pattern.exec(managed.output());
      if (match) {
        done();
        resolve(match);
      }
      return match !== null;
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(new Error(`process exited (${code ?? signal}) before printing ${pattern}:\n${managed.output().slice(-3000)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${pattern}:\n${managed.output().slice(-3000)}`));
    }, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      managed.child.stdout?.off('data', check);
      managed.child.stderr?.off('data', check);
      managed.child.off('exit', onExit);
    }
    if (check()) return;
    managed.child.stdout?.on('data', check);
    managed.child.stderr?.on('data', check);
    managed.child.once('exit', onExit);
  });
}

/** The open-file limit a bench child gets (the hard limit, see spawnTs). */
export function childFileLimit(): number {
  const out = execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}
