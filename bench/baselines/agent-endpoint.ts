/**
 * A local agent backend for the delivery benchmark (its own process): a node:http endpoint that
 * reads each task webhook and answers 200 at once. It counts what it receives and when
 * (process.hrtime), including repeats of a webhook-id.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '../support/rpc.js';
import { nowNs } from '../support/stats.js';

export interface EndpointStats {
  count: number;
  unique: number;
  firstNs: string | null;
  lastNs: string | null;
}

const ids = new Set<string>();
let count = 0;
let first: bigint | null = null;
let last: bigint | null = null;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const at = nowNs();
    count++;
    first ??= at;
    last = at;
    const id = req.headers['webhook-id'];
    if (typeof id === 'string') ids.add(id);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
server.keepAliveTimeout = 60_000;

serve({
  listen: () =>
    new Promise<number>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    }),
  reset: () => {
    ids.clear();
    count = 0;
    first = null;
    last = null;
    return null;
  },
  stats: (): EndpointStats => ({ count, unique: ids.size, firstNs: first === null ? null : String(first), lastNs: last === null ? null : String(last) }),
});
