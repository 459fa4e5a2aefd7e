import { startCluster, Browser } from './cluster.js';
const cluster = await startCluster(2, { RATE_LIMIT_AGENT_PER_MINUTE: '10000000', LOG_LEVEL: 'warn' });
const [a, b] = cluster.instances;
const T0 = Date.now();
const log = (...x: unknown[]) => console.log(((Date.now() - T0) / 1000).toFixed(2), ...x);
try {
  const agent = await a!.createAgent();
  const browser = new Browser();
  const { taskId } = (await browser.on(a!.url).send(agent.id, 'x')).body;
  let n = 0; const statuses: Record<string, number> = {};
  let running = true;
  const workers = Array.from({ length: 6 }, async () => {
    while (running) {
      const i = n++; const s = i % 2 ? b! : a!;
      const t = Date.now();
      let st: string;
      try {
        const r = await fetch(`${s.url}/api/communications/webhook-response`, { method: 'POST', headers: { authorization: `Bearer ${agent.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ taskId, response: 'r' + i, messageId: 'm' + i, final: false }), signal: AbortSignal.timeout(10000) });
        await r.text(); st = String(r.status);
      } catch (e) { st = String((e as Error).name); }
      const d = Date.now() - t;
      if (d > 1000) log('slow', i % 2 ? 'B' : 'A', st, d);
      statuses[st] = (statuses[st] ?? 0) + 1;
      if (st !== '200') await new Promise((r) => setTimeout(r, 10));
    }
  });
  await new Promise((r) => setTimeout(r, 1000)); log('before', statuses);
  await cluster.pg.stopServer('fast'); log('stopped', statuses);
  await new Promise((r) => setTimeout(r, 1500)); log('outage', statuses);
  await cluster.pg.startServer(); log('started', statuses);
  await new Promise((r) => setTimeout(r, 3000)); log('after', statuses);
  running = false; await Promise.all(workers); log('done', statuses);
} finally { await cluster.stop(); console.log(a!.output().slice(0, 3000)); }
