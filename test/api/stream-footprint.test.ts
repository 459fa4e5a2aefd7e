/**
 * What an open SSE stream keeps alive (benchmark (d): memory per idle reader). Once a stream is
 * open, Fastify's request and reply can be collected: only Node's response and socket live on.
 * The stream still works, and its close still frees everything it took.
 */
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import type { AgentCredentials } from '../../src/protocol/index.js';
import { eventually, Session } from '../support/client.js';
import { startServer, type TestServer } from '../support/server.js';
import { openSse } from '../support/sse.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Fastify publishes each handler's request and reply here (its documented diagnostics channel). */
const handlerStart = channel('tracing:fastify.request.handler:start');

function sessionCookieOf(session: Session): string {
  return (session as unknown as { cookie: string }).cookie;
}

describe('stream footprint', () => {
  let server: TestServer;
  let agent: AgentCredentials;

  before(async () => {
    server = await startServer();
    agent = await server.createAgent();
  });
  after(() => server.stop());

  it('lets Fastify\'s request and reply go once the stream is open, and the stream keeps working', async () => {
    const page = new Session(server.url);
    const { taskId } = (await page.send(agent.id, 'hi')).body;
    const held: Array<WeakRef<object>> = [];
    const capture = (message: unknown): void => {
      const { request, reply } = message as { request: { url: string }; reply: object };
      if (request.url.startsWith('/api/communications/stream')) held.push(new WeakRef(request), new WeakRef(reply));
    };
    handlerStart.subscribe(capture);
    let stream;
    try {
      stream = await openSse(`${server.url}/api/communications/stream?taskId=${taskId}`, { cookie: sessionCookieOf(page) });
    } finally {
      handlerStart.unsubscribe(capture);
    }
    try {
      assert.equal(stream.status, 200);
      await eventually(() => assert.ok(stream.events.some((e) => e.event === 'task'), 'the first task view arrived'));
      assert.equal(held.length, 2, 'the stream\'s request and reply were seen');
      // A WeakRef keeps its target until the end of the job that made it; collect a few turns later.
      for (let attempt = 0; attempt < 10 && held.some((ref) => ref.deref() !== undefined); attempt++) {
        await turn();
        gc();
      }
      assert.deepEqual(held.map((ref) => ref.deref() === undefined), [true, true], 'request and reply were collected');

      assert.equal((await server.webhook({ taskId, response: 'still streaming' }, agent.token)).status, 200);
      await eventually(() => assert.ok(stream.events.some((e) => e.event === 'response' && e.data.includes('still streaming')), 'the answer arrived'));
    } finally {
      stream.close();
    }
    const readers = async (): Promise<number> => (await server.built!.ctx.metrics.readers.get()).values.find((v) => v.labels.kind === 'sse')?.value ?? 0;
    await eventually(async () => assert.equal(await readers(), 0, 'the closed stream is no longer counted'));
    assert.equal(server.built!.ctx.broker.subscriberCount(), 0, 'the closed stream no longer subscribes');
  });
});
