/**
 * The peer a Node developer would pick instead of SSE: Socket.IO rooms. A webhook POSTed to
 * /webhook is verified (Standard Webhooks, the agent's secret), stored as one row in SQLite (WAL,
 * synchronous as the server under test, one commit per request) and then emitted to the task's
 * room. Clients `join` a room per task. Prints `listening <port>`.
 * Env: DB_PATH, SECRET (whsec_…), SQLITE_SYNCHRONOUS (FULL by default, like the server).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { Server } from 'socket.io';
import { Webhook } from 'standardwebhooks';

const db = new Database(process.env.DB_PATH ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${process.env.SQLITE_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
db.exec(`CREATE TABLE IF NOT EXISTS communications (
  id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, seq INTEGER NOT NULL, message_id TEXT NOT NULL,
  direction TEXT NOT NULL, response TEXT NOT NULL, final INTEGER NOT NULL, created_at INTEGER NOT NULL,
  UNIQUE (task_id, seq), UNIQUE (task_id, message_id))`);
const nextSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM communications WHERE task_id = ?');
const insert = db.prepare(
  `INSERT INTO communications (task_id, seq, message_id, direction, response, final, created_at) VALUES (?, ?, ?, 'agent', ?, 1, ?)`,
);
const store = db.transaction((taskId: string, messageId: string, response: string, at: number) => {
  const { seq } = nextSeq.get(taskId) as { seq: number };
  insert.run(taskId, seq, messageId, response, at);
  return seq;
});
const signer = new Webhook(process.env.SECRET ?? `whsec_${Buffer.alloc(32, 1).toString('base64')}`);

const http = createServer((req: IncomingMessage, res: ServerResponse) => {
  // Socket.IO answers its own /socket.io/ paths before this handler sees them.
  if (req.method !== 'POST' || req.url !== '/webhook') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString();
    try {
      signer.verify(raw, req.headers as Record<string, string>);
    } catch {
      res.writeHead(401).end();
      return;
    }
    try {
      const body = JSON.parse(raw) as { taskId: string; messageId: string; response: string };
      const at = Date.now();
      const seq = store(body.taskId, body.messageId, body.response, at);
      io.to(body.taskId).emit('response', {
        messageId: body.messageId,
        taskId: body.taskId,
        seq,
        direction: 'agent',
        response: body.response,
        final: true,
        createdAt: new Date(at).toISOString(),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, messageId: body.messageId, seq }));
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
  });
});
http.keepAliveTimeout = 60_000;
const io = new Server(http, { serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (taskId: unknown, ack?: (ok: boolean) => void) => {
    if (typeof taskId === 'string') void socket.join(taskId);
    ack?.(typeof taskId === 'string');
  });
});
http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  void io.close();
  db.close();
  process.exit(0);
});
