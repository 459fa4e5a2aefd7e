/**
 * `npm run bench` — runs the benchmark suite, prints every figure beside its baseline, and writes
 * bench/results.json.
 *
 *   npm run bench                     all of (a)–(g), full size
 *   npm run bench -- --quick          a few seconds of each (CI smoke test)
 *   npm run bench -- --only a,c       just those
 *   npm run bench -- --soak           ten-minute soak (not part of the default run)
 *   npm run bench -- --crash-loop     50 SIGKILL/restart iterations (not part of the default run)
 *   npm run bench -- --priority[=-10] run every bench process at that nice value (root), so other
 *                                     work on a shared machine disturbs the figures less
 *
 * The bench only reports; it never fails on a missed goal. It exits non-zero only when a
 * benchmark could not run at all.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { crashLoop } from './crash-loop.js';
import { delivery } from './delivery.js';
import { getResponses } from './get-responses.js';
import { idleReaders } from './idle-readers.js';
import { ingest } from './ingest.js';
import { latency } from './latency.js';
import { pageSize } from './page-size.js';
import { postgres } from './postgres.js';
import { soak } from './soak.js';
import { applyPriority, BENCH, cleanupAll } from './support/processes.js';
import { markdown, table, type Bench, type BenchResult } from './support/report.js';

interface Entry {
  id: string;
  title: string;
  run: Bench;
  /** Only when asked for by its flag. */
  flag?: string;
}

const SUITE: Entry[] = [
  { id: 'a', title: 'Webhook ingest', run: ingest },
  { id: 'b', title: 'get-responses, 1M rows vs 10k', run: getResponses },
  { id: 'c', title: 'Webhook → reader latency', run: latency },
  { id: 'd', title: 'Idle readers: memory, CPU, ack p99', run: idleReaders },
  { id: 'e', title: 'Chat page initial JS, gzipped', run: pageSize },
  { id: 'f', title: 'Delivery to agents', run: delivery },
  { id: 'g', title: 'PostgreSQL: cross-instance push and ingest', run: postgres },
  { id: 'soak', title: 'Soak', run: soak, flag: '--soak' },
  { id: 'crash', title: 'Crash loop', run: crashLoop, flag: '--crash-loop' },
];

function parseArgs(argv: string[]): { quick: boolean; only: Set<string> | null; flags: Set<string>; markdown: boolean } {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const onlyIndex = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  let only: Set<string> | null = null;
  if (onlyIndex >= 0) {
    const arg = argv[onlyIndex] as string;
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (argv[onlyIndex + 1] ?? '');
    only = new Set(value.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return { quick: flags.has('--quick'), only, flags, markdown: flags.has('--markdown') };
}

function selected(args: ReturnType<typeof parseArgs>): Entry[] {
  const explicit = SUITE.filter((e) => e.flag !== undefined && args.flags.has(e.flag));
  if (args.only) return SUITE.filter((e) => args.only?.has(e.id));
  if (explicit.length > 0) return explicit;
  return SUITE.filter((e) => e.flag === undefined);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const priority = process.argv.slice(2).find((a) => a === '--priority' || a.startsWith('--priority='));
  if (priority) {
    process.env.BENCH_PRIORITY = priority.includes('=') ? priority.slice(priority.indexOf('=') + 1) : '-10';
    applyPriority(process.pid);
  }
  const entries = selected(args);
  const started = Date.now();
  const results: BenchResult[] = [];
  for (const entry of entries) {
    const t0 = performance.now();
    const log = (line: string): void => {
      process.stderr.write(`[${entry.id}] ${line}\n`);
    };
    log(`${entry.title}${args.quick ? ' (quick)' : ''}`);
    const loadBefore = loadavg()[0] ?? 0;
    try {
      const outcome = await entry.run({ quick: args.quick, log });
      // Other work on this 2-core machine moves absolute figures; the ratios are what to compare.
      outcome.notes.push(`Machine load average (1 min) ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after.`);
      results.push({ id: entry.id, title: entry.title, ...outcome, seconds: (performance.now() - t0) / 1000 });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`FAILED: ${message}`);
      results.push({ id: entry.id, title: entry.title, figures: [], notes: [], error: message, seconds: (performance.now() - t0) / 1000 });
    } finally {
      // Whatever a benchmark left running (after a failure) goes before the next one starts.
      cleanupAll();
    }
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const output = table(results);
  process.stdout.write(`\n${output}\n\n`);
  for (const r of results) for (const note of r.notes) process.stdout.write(`(${r.id}) ${note}\n`);
  if (args.markdown) process.stdout.write(`\n${markdown(results)}\n`);
  const cpu = cpus();
  const report = {
    date: new Date().toISOString(),
    quick: args.quick,
    priority: process.env.BENCH_PRIORITY ?? null,
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version },
    seconds: (Date.now() - started) / 1000,
    results,
  };
  writeFileSync(join(BENCH, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nWrote bench/results.json (${report.seconds.toFixed(0)} s).\n`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

// However the run ends, nothing it started is left behind.
process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanupAll();
    process.exit(130);
  });
}
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  cleanupAll();
  process.exit(1);
});
