/**
 * The operator page at /admin: deliveries with attempts and last error, and a Replay button for
 * dead letters. It holds no data itself: it calls the admin API with the ADMIN_TOKEN the operator
 * types (kept in sessionStorage), and renders every value as text, never as HTML.
 */
import type { FastifyInstance } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhook Chat — Operator</title><link rel="stylesheet" href="/admin/admin.css"></head>
<body><header><h1>Webhook Chat · Operator</h1>
<form id="login"><label for="token">Admin token</label> <input id="token" type="password" autocomplete="off" required>
<button type="submit">Load</button></form></header>
<main><div class="filters"><label for="state">State</label> <select id="state"><option value="">all</option>
<option>pending</option><option>delivered</option><option>failed</option><option>canceled</option></select>
<button id="reload" type="button">Refresh</button> <span id="status" role="status"></span></div>
<table><thead><tr><th>Created</th><th>Task</th><th>Agent</th><th>Event</th><th>Mode</th><th>State</th><th>Attempts</th>
<th>Next attempt</th><th>Last error</th><th></th></tr></thead><tbody id="rows"></tbody></table></main>
<script type="module" src="/admin/admin.js"></script></body></html>`;

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{display:flex;gap:2rem;align-items:center;padding:1rem 1.5rem;background:#fff;border-bottom:1px solid #dde1e6}
h1{font-size:1.1rem;margin:0}main{padding:1rem 1.5rem}.filters{margin-bottom:1rem;display:flex;gap:.5rem;align-items:center}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.4rem .6rem;border-bottom:1px solid #e5e8ec;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums;word-break:break-all}.failed{color:#b42318;font-weight:600}.delivered{color:#067647}
.retrying{color:#b54708}button{font:inherit;padding:.3rem .8rem;border-radius:6px;border:1px solid #98a2b3;background:#fff;cursor:pointer}
button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #2e90fa;outline-offset:2px}
@media (prefers-color-scheme: dark){body{background:#101418;color:#e6e9ee}header,table{background:#171c22;border-color:#2a313a}
th,td{border-color:#2a313a}button{background:#1f262e;color:#e6e9ee}.failed{color:#ff8a80}.delivered{color:#7bd88f}.retrying{color:#fdb022}}`;

const SCRIPT = `const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem('wc_admin_token') || '';
function cell(text, cls) { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; }
async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: 'Bearer ' + token() } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message || ('HTTP ' + res.status));
  return body;
}
async function load() {
  const state = $('state').value;
  $('status').textContent = 'Loading…';
  try {
    const { deliveries } = await api('/api/admin/deliveries?limit=200' + (state ? '&state=' + state : ''));
    const rows = $('rows'); rows.replaceChildren();
    for (const d of deliveries) {
      const tr = document.createElement('tr');
      tr.append(cell(new Date(d.createdAt).toLocaleString()), cell(d.taskId), cell(d.agentId), cell(d.eventType), cell(d.mode),
        cell(d.state, d.state), cell(String(d.attempts)), cell(d.nextAttemptAt ? new Date(d.nextAttemptAt).toLocaleString() : ''),
        cell(d.lastError || ''));
      const action = document.createElement('td');
      if (d.state === 'failed') {
        const b = document.createElement('button'); b.type = 'button'; b.textContent = 'Replay';
        b.addEventListener('click', async () => { b.disabled = true; try { await api('/api/admin/deliveries/' + encodeURIComponent(d.id) + '/replay', { method: 'POST' }); await load(); } catch (e) { $('status').textContent = e.message; b.disabled = false; } });
        action.append(b);
      }
      tr.append(action); rows.append(tr);
    }
    $('status').textContent = deliveries.length + ' deliveries';
  } catch (e) { $('status').textContent = e.message; }
}
$('login').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('wc_admin_token', $('token').value); load(); });
$('reload').addEventListener('click', load); $('state').addEventListener('change', load);
if (token()) load();`;

export async function adminPageRoutes(app: FastifyInstance): Promise<void> {
  const hidden = { schema: { hide: true } };
  app.get('/admin', hidden, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE));
  app.get('/admin/admin.js', hidden, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(SCRIPT));
  app.get('/admin/admin.css', hidden, async (_request, reply) => reply.type('text/css; charset=utf-8').send(CSS));
}
