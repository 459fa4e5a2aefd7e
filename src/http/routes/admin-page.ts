/**
 * The operator page at /admin: tasks with their state and turn count, each task's deliveries with
 * attempts and last error, and a Replay button for dead letters. It holds no data itself: it calls
 * the admin API with the ADMIN_TOKEN the operator types (kept in sessionStorage). Its script and
 * style are files of their own, so the page runs under the same strict CSP as the chat page.
 */
import type { FastifyInstance } from 'fastify';
import { ADMIN_SCRIPT } from './admin-page-script.js';

const TURN_STATES = ['queued', 'delivered', 'working', 'answered', 'failed', 'canceled'];
const options = (values: readonly string[]): string =>
  `<option value="">all</option>${values.map((v) => `<option>${v}</option>`).join('')}`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhook Chat — Operator</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/admin/admin.css"></head>
<body><header><h1>Webhook Chat · Operator</h1>
<form id="login"><label for="token">Admin token</label> <input id="token" type="password" autocomplete="off" required>
<button type="submit">Load</button></form> <button id="reload" type="button">Refresh</button>
<span id="status" role="status"></span></header>
<main>
<section aria-labelledby="tasks-title"><div class="bar"><h2 id="tasks-title">Tasks</h2>
<label for="task-state">State</label> <select id="task-state">${options(TURN_STATES)}</select></div>
<table aria-labelledby="tasks-title"><thead><tr><th>Created</th><th>Task</th><th>Agent</th><th>State</th><th>Turns</th>
<th>Last activity</th><th></th></tr></thead><tbody id="task-rows"></tbody></table>
<button id="more-tasks" type="button" hidden>Older tasks</button></section>
<section aria-labelledby="deliveries-title"><div class="bar"><h2 id="deliveries-title">Deliveries <span id="task-filter"></span></h2>
<button id="all-tasks" type="button" hidden>All tasks</button>
<label for="state">State</label> <select id="state">${options(['pending', 'delivered', 'failed', 'canceled'])}</select></div>
<table aria-labelledby="deliveries-title"><thead><tr><th>Created</th><th>Task</th><th>Agent</th><th>Event</th><th>Mode</th><th>State</th>
<th>Attempts</th><th>Next attempt</th><th>Last error</th><th></th></tr></thead><tbody id="delivery-rows"></tbody></table></section>
</main>
<script type="module" src="/admin/admin.js"></script></body></html>`;

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:center;padding:1rem 1.5rem;background:#fff;border-bottom:1px solid #dde1e6}
h1{font-size:1.1rem;margin:0}h2{font-size:1rem;margin:0}h2 span{font-weight:400;color:#475467}
main{padding:1rem 1.5rem}section{margin-bottom:2rem}.bar{margin-bottom:.6rem;display:flex;gap:.5rem;align-items:center}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.4rem .6rem;border-bottom:1px solid #e5e8ec;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums;white-space:nowrap}td.id{font:12px ui-monospace,monospace;white-space:normal;overflow-wrap:anywhere}
td.error{white-space:normal;overflow-wrap:anywhere;min-width:12rem}td.past{color:#667085}tr.selected{background:#eef4ff}
.state-failed{color:#b42318;font-weight:600}.state-delivered,.state-answered{color:#067647}.state-retrying{color:#b54708}
.state-canceled{color:#475467}#status{color:#475467}
button{font:inherit;padding:.3rem .8rem;border-radius:6px;border:1px solid #98a2b3;background:#fff;cursor:pointer}
#more-tasks{margin-top:.6rem}
button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #2e90fa;outline-offset:2px}
@media (prefers-color-scheme: dark){body{background:#101418;color:#e6e9ee}header,table{background:#171c22;border-color:#2a313a}
th,td{border-color:#2a313a}tr.selected{background:#1d2a3d}button{background:#1f262e;color:#e6e9ee}
h2 span,#status,.state-canceled{color:#98a2b3}.state-failed{color:#ff8a80}.state-delivered,.state-answered{color:#7bd88f}.state-retrying{color:#fdb022}}`;

export async function adminPageRoutes(app: FastifyInstance): Promise<void> {
  const hidden = { schema: { hide: true } };
  app.get('/admin', hidden, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE));
  app.get('/admin/admin.js', hidden, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(ADMIN_SCRIPT));
  app.get('/admin/admin.css', hidden, async (_request, reply) => reply.type('text/css; charset=utf-8').send(CSS));
}
