/** Resident memory and CPU time of another process, read from /proc (Linux). */
import { readFileSync } from 'node:fs';
import { median } from './stats.js';

const TICKS_PER_SECOND = 100;

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * User + system CPU seconds used so far: by the whole process (all its threads), or with `tid` by
 * one thread of it (a Node process's main thread, its event loop, has tid = pid).
 */
export function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name may contain spaces; fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The median of `samples` RSS readings taken `everyMs` apart, to smooth out GC sawtooth. */
export async function settledRss(pid: number, samples = 5, everyMs = 500): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssBytes(pid));
    if (i < samples - 1) await sleep(everyMs);
  }
  return median(values);
}

/** Measures the CPU a process uses while `during` runs, as a share of one core (1.0 = 100 %). */
export async function cpuDuring<T>(pid: number, during: () => Promise<T>): Promise<{ result: T; cores: number; seconds: number }> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const result = await during();
  const seconds = (performance.now() - t0) / 1000;
  return { result, cores: (cpuSeconds(pid) - c0) / seconds, seconds };
}
