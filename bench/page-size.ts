/**
 * (e) The chat page's initial JavaScript, gzipped: the module scripts and modulepreloads that
 * index.html names, plus every chunk they import statically. Chunks loaded with a dynamic
 * import() (Markdown rendering) are not initial and are listed separately. The page is built from
 * the current source into a temp dir (web/dist is left alone); if that fails, web/dist is measured.
 * Goal: ≤ 80 KB.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ROOT, tempDir } from './support/processes.js';
import { ratio, type Bench } from './support/report.js';

const run = promisify(execFile);
const BUDGET_KB = 80;

/** Static imports only: `import … from "./x.js"` and `import "./x.js"`, never `import("./x.js")`. */
function staticImports(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    found.add((match[1] ?? match[2]) as string);
  }
  return [...found];
}

function dynamicImports(code: string): string[] {
  return [...code.matchAll(/\bimport\(\s*["'`](\.{1,2}\/[^"'`]+)["'`]\s*\)/g)].map((m) => m[1] as string);
}

/** Resolves a URL from index.html or an import specifier to a file in `dist`. */
function fileOf(dist: string, from: string, spec: string): string {
  if (spec.startsWith('/')) return join(dist, spec);
  return join(from, spec);
}

export const pageSize: Bench = async ({ log }) => {
  const out = tempDir('wc-bench-web-');
  let dist = out;
  const notes: string[] = [];
  try {
    await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], {
      cwd: ROOT,
      timeout: 120_000,
    });
    notes.push('Built from the current source with `vite build` into a temp dir.');
  } catch (error) {
    dist = join(ROOT, 'web/dist');
    if (!existsSync(join(dist, 'index.html'))) throw new Error('vite build failed and web/dist is missing', { cause: error });
    log('vite build failed; measuring the existing web/dist');
    notes.push(`vite build failed (${String(error).split('\n')[0] ?? ''}); measured the existing web/dist.`);
  }
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entries = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((m) => fileOf(dist, dist, m[1] as string));

  const initial = new Set<string>();
  const lazy = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (initial.has(file)) continue;
    initial.add(file);
    const code = readFileSync(file, 'utf8');
    const dir = file.slice(0, file.lastIndexOf('/'));
    for (const spec of staticImports(code)) queue.push(fileOf(dist, dir, spec));
    for (const spec of dynamicImports(code)) lazy.add(fileOf(dist, dir, spec));
  }
  for (const file of initial) lazy.delete(file);

  const size = (file: string): { raw: number; gzip: number } => {
    const data = readFileSync(file);
    return { raw: data.length, gzip: gzipSync(data, { level: 6 }).length };
  };
  let raw = 0;
  let gzip = 0;
  const files: Record<string, { raw: number; gzip: number; initial: boolean }> = {};
  for (const file of initial) {
    const s = size(file);
    raw += s.raw;
    gzip += s.gzip;
    files[file.slice(dist.length + 1)] = { ...s, initial: true };
  }
  for (const file of lazy) files[file.slice(dist.length + 1)] = { ...size(file), initial: false };
  const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  const kb = gzip / 1024;
  const r = ratio(kb, BUDGET_KB);
  notes.push(
    `Initial JS: ${[...initial].map((f) => f.slice(dist.length + 1)).join(', ')} — ${(raw / 1024).toFixed(1)} KB raw, ${kb.toFixed(1)} KB gzip (level 6, what servers usually send). ` +
      `Loaded later: ${[...lazy].map((f) => `${f.slice(dist.length + 1)} (${(size(f).gzip / 1024).toFixed(1)} KB gzip)`).join(', ') || 'none'}. ` +
      `${all.length} JS files in dist/assets.`,
  );
  return {
    figures: [
      {
        label: 'chat page initial JS, gzipped',
        value: kb,
        unit: 'KB',
        baseline: { label: 'budget', value: BUDGET_KB },
        ratio: r,
        goal: { text: '≤ 80 KB', met: r === null ? null : r <= 1 },
      },
    ],
    notes,
    raw: files,
  };
};
