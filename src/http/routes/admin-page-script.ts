/**
 * The operator page's script, served as /admin/admin.js so that the page's CSP needs no inline
 * script. Plain browser JavaScript (the server's tsconfig has no DOM library). Every value from the
 * API is set as text, never as HTML.
 */
export const ADMIN_SCRIPT = `const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem('wc_admin_token') || '';
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
let selectedTask = null;
let olderThan = null;

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (cls) td.className = cls;
  return td;
}
function button(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}
function say(text) { $('status').textContent = text; }
const count = (n, one, many) => n + ' ' + (n === 1 ? one : many);

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: 'Bearer ' + token() } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + res.status));
  return body;
}

async function loadTasks(more) {
  const params = new URLSearchParams({ limit: '50' });
  if ($('task-state').value) params.set('state', $('task-state').value);
  if (more && olderThan) params.set('before', olderThan);
  const { tasks, nextBefore } = await api('/api/admin/tasks?' + params);
  const rows = $('task-rows');
  if (!more) rows.replaceChildren();
  for (const t of tasks) {
    const tr = document.createElement('tr');
    tr.dataset.taskId = t.id;
    if (t.id === selectedTask) tr.className = 'selected';
    const action = document.createElement('td');
    action.append(button('Deliveries', () => selectTask(t.id)));
    tr.append(cell(when(t.createdAt)), cell(t.id, 'id'), cell(t.agentId), cell(t.state, 'state-' + t.state),
      cell(t.turnCount), cell(when(t.lastActivityAt)), action);
    rows.append(tr);
  }
  olderThan = nextBefore;
  $('more-tasks').hidden = nextBefore === null;
  return rows.children.length;
}

async function loadDeliveries() {
  const params = new URLSearchParams({ limit: '200' });
  if ($('state').value) params.set('state', $('state').value);
  if (selectedTask) params.set('taskId', selectedTask);
  const { deliveries } = await api('/api/admin/deliveries?' + params);
  const rows = $('delivery-rows');
  rows.replaceChildren();
  for (const d of deliveries) {
    const tr = document.createElement('tr');
    tr.dataset.deliveryId = d.id;
    const action = document.createElement('td');
    if (d.state === 'failed') {
      const b = button('Replay', async () => {
        b.disabled = true;
        try {
          await api('/api/admin/deliveries/' + encodeURIComponent(d.id) + '/replay', { method: 'POST' });
          say('Replayed ' + d.id);
          await refresh();
        } catch (e) { say(e.message); b.disabled = false; }
      });
      action.append(b);
    }
    tr.append(cell(when(d.createdAt)), cell(d.taskId, 'id'), cell(d.agentId), cell(d.eventType), cell(d.mode),
      cell(d.state, 'state-' + d.state), cell(d.attempts), cell(when(d.nextAttemptAt)), cell(d.lastError, d.state === 'delivered' ? 'error past' : 'error'), action);
    rows.append(tr);
  }
  $('task-filter').textContent = selectedTask ? 'of task ' + selectedTask : 'of all tasks';
  $('all-tasks').hidden = selectedTask === null;
  return deliveries.length;
}

async function refresh() {
  try {
    const tasks = await loadTasks(false);
    const deliveries = await loadDeliveries();
    say(count(tasks, 'task', 'tasks') + ', ' + count(deliveries, 'delivery', 'deliveries'));
  } catch (e) {
    $('task-rows').replaceChildren();
    $('delivery-rows').replaceChildren();
    say(e.message);
  }
}
async function selectTask(id) {
  selectedTask = id;
  for (const tr of $('task-rows').children) tr.className = tr.dataset.taskId === id ? 'selected' : '';
  try { say(count(await loadDeliveries(), 'delivery', 'deliveries')); } catch (e) { say(e.message); }
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem('wc_admin_token', $('token').value);
  refresh();
});
$('reload').addEventListener('click', refresh);
$('task-state').addEventListener('change', refresh);
$('state').addEventListener('change', () => selectTask(selectedTask));
$('all-tasks').addEventListener('click', () => selectTask(null));
$('more-tasks').addEventListener('click', () => loadTasks(true).catch((e) => say(e.message)));
if (token()) refresh();
`;
