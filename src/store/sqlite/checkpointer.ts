/**
 * Checkpoints the WAL on a worker thread.
 *
 * SQLite's automatic checkpoint runs inside a commit, on the writer's thread: every thousand pages
 * it copies the WAL into the database file and fsyncs both, which stalls the event loop for about
 * 10 ms and shows up as the p99 of every request in flight. So the writer's autocheckpoint is
 * turned off and a worker with its own connection runs PASSIVE checkpoints on a timer: a PASSIVE
 * checkpoint never blocks the writer or the readers, it copies what it can.
 *
 * If the worker fails, the writer's autocheckpoint is turned back on, so the WAL never grows
 * without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** The worker's whole program (CommonJS, evaluated): small enough to read here. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
let timer = null;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
};
const tick = () => {
  checkpoint();
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(tick, workerData.intervalMs);
`;

export interface CheckpointerOptions {
  /** The database file. */
  path: string;
  /** The writer connection, whose autocheckpoint this takes over. */
  writer: Database.Database;
  /** How often to checkpoint, in milliseconds. */
  intervalMs?: number;
  /** Told about checkpoint errors (the worker carries on) and a worker that died. */
  onError?: (error: Error) => void;
}

export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(private readonly options: CheckpointerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    options.writer.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, path: options.path, intervalMs: options.intervalMs ?? 200 },
    });
    // A checkpointer must never keep the process alive on its own.
    this.worker.unref();
    this.worker.on('message', (message: { error?: string }) => {
      if (message.error) options.onError?.(new Error(`WAL checkpoint: ${message.error}`));
    });
    this.worker.on('error', (error) => this.fallBack(error));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.fallBack(new Error(`WAL checkpointer exited (${code})`));
    });
  }

  /** Stops the worker; the writer's close then checkpoints what is left. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would not keep the process alive long enough to be waited for.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }

  private fallBack(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.options.onError?.(error);
    this.options.writer.pragma('wal_autocheckpoint = 1000');
  }
}
