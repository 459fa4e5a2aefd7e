/** DELIVERY_CONCURRENCY bounds the requests open at the agent at once. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { eventually, Session } from '../support/client.js';
import { FAST_DELIVERY, startTestServer } from './helpers.js';

test('with DELIVERY_CONCURRENCY=2 the agent never has more than two webhooks open', async (t) => {
  let open = 0;
  let peak = 0;
  let done = 0;
  const agent = createServer((req, res) => {
    open++;
    peak = Math.max(peak, open);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        open--;
        done++;
        res.writeHead(200).end();
      }, 60),
    );
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (agent.closeAllConnections(), agent.close(() => resolve()))));
  const server = await startTestServer(t, { env: { ...FAST_DELIVERY, DELIVERY_CONCURRENCY: '2' } });
  const { port } = agent.address() as AddressInfo;
  const created = await server.createAgent({ endpointUrl: `http://127.0.0.1:${port}/hook` });
  const session = new Session(server.url);
  await Promise.all(Array.from({ length: 12 }, (_, i) => session.send(created.id, `message ${i}`)));
  await eventually(() => assert.equal(done, 12));
  assert.equal(peak, 2, `at most two at once, and the limit is used (peak ${peak})`);
});
