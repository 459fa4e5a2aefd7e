/**
 * The ingest floor: a bare node:http handler that only parses the JSON body and inserts one row
 * into SQLite (WAL, synchronous=NORMAL), one commit per request. No framework, no signature, no
 * logging. Prints `listening <port>`. Env: DB_PATH.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openFloorTable } from './floor-table.js';

const { db, insert } = openFloorTable(process.env.DB_PATH ?? ':memory:');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { taskId: string; messageId: string; response: string };
      insert.run(body.taskId, body.messageId, body.response, Date.now());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"success":true}');
    } catch {
      res.writeHead(400);
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  db.close();
  process.exit(0);
});
