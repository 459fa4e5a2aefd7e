/**
 * Checkpoints the WAL on a worker thread, and keeps the WAL from growing under steady writes.
 *
 * SQLite's automatic checkpoint runs inside a commit, on the writer's thread: every thousand pages
 * it copies the WAL into the database file and fsyncs both, which stalls the event loop for about
 * 10 ms and shows up as the p99 of every request in flight. So the writer's autocheckpoint is
 * turned off and a worker with its own connection runs PASSIVE checkpoints on a timer: a PASSIVE
 * checkpoint never blocks the writer or the readers, it copies what it can.
 *
 * A checkpoint that runs beside the writer never finishes, though: by the time it has copied the
 * frames it saw, the writer has appended more. SQLite starts the WAL over from its beginning only
 * when a write transaction begins on a fully copied WAL, so under steady traffic the file would
 * grow without bound (about 80 MB a second at full load here), and every fsync would also extend
 * it. So once the WAL holds `restartFrames` frames, the worker asks for a quiet moment: the writer
 * finishes the group it is committing and holds the next one (the event loop keeps serving; only
 * commits wait), the worker copies the few frames appended since its last pass, and the writer's
 * next transaction starts the WAL over. The hold lasts a millisecond or a few (1.4 ms median
 * here), once per `restartFrames` frames at most.
 *
 * A reader whose snapshot is older than the WAL's newest frames (a long read, a backup) keeps those
 * frames from being copied, and so the WAL from starting over, for as long as it reads. A catch-up
 * pass that leaves frames uncopied although the writer was held shows such a reader, and then the
 * writer is not held again until a pass copies everything it saw: holding it could not help. Once the reader is done and the WAL starts over, SQLite cuts the file back to
 * `walSizeLimit` (64 MB), so a long read does not leave a large WAL file behind.
 *
 * If the worker fails, the writer's autocheckpoint is turned back on, so the WAL never grows
 * without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * The worker's whole program (CommonJS, evaluated): small enough to read here.
 * Messages to the main thread: `{ error }`, `'quiesce'` (hold the writer, answer `'quiet'`), and
 * `'resume'` (the catch-up pass is over).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
let timer = null;
let stopped = false;
/** One PASSIVE pass: { log: frames in the WAL, checkpointed: frames copied }, or null if it failed. */
const checkpoint = () => {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
    return null;
  }
};
const later = () => {
  if (!stopped) timer = setTimeout(tick, workerData.intervalMs);
};
// Set when a catch-up pass, run while the writer was held, still left frames uncopied: only a
// reader's older snapshot (a long read, a backup) can do that, and until it ends no checkpoint can
// finish, held writer or not. Cleared by the first pass that copies everything it saw.
let readerPinsWal = false;
const tick = () => {
  const result = checkpoint();
  if (result && result.checkpointed >= result.log) readerPinsWal = false;
  // The writer appended more while this copied (\`log\` is what the pass saw at its start), so the
  // WAL cannot start over yet: catch up while the writer holds still (unless that cannot help).
  if (result && result.log >= workerData.restartFrames && !readerPinsWal) {
    parentPort.postMessage('quiesce');
    return;
  }
  later();
};
parentPort.on('message', (message) => {
  if (message === 'quiet') {
    const result = checkpoint();
    if (result && result.checkpointed < result.log) readerPinsWal = true;
    parentPort.postMessage('resume');
    later();
    return;
  }
  if (message !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
later();
`;

/** Holds the writer's next commit until the returned release is called; resolves once no commit is under way. */
export type Quiesce = () => Promise<() => void>;

export interface CheckpointerOptions {
  /** The database file. */
  path: string;
  /** The writer connection, whose autocheckpoint this takes over. */
  writer: Database.Database;
  /**
   * Holds the writer still so a checkpoint can finish and the WAL start over. Without it the
   * worker's checkpoints copy what they can, and the WAL restarts only when writes pause.
   */
  quiesce?: Quiesce;
  /** How often to checkpoint, in milliseconds. */
  intervalMs?: number;
  /** How many WAL frames (pages) before the writer is held for a checkpoint that finishes. */
  restartFrames?: number;
  /** The longest the writer is held if the worker never says it is done (it died, or hangs). */
  maxHoldMs?: number;
  /**
   * The size the WAL file is cut back to when it starts over (SQLite's journal_size_limit). Under
   * steady traffic the file stays well below it; after a long read made it grow, this gives the
   * disk back.
   */
  walSizeLimit?: number;
  /** Told about checkpoint errors (the worker carries on) and a worker that died. */
  onError?: (error: Error) => void;
}

/** The catch-up pass takes a millisecond or a few; a worker silent for this long is not coming back soon. */
const MAX_HOLD_MS = 2000;
/** Well above the WAL's size under steady traffic (a few MB to a few tens of MB). */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

export class Checkpointer {
  private readonly worker: Worker;
  private stopped = false;
  /** Lets the writer go again, while it is held for the worker. */
  private release: (() => void) | null = null;
  private holdTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: CheckpointerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    options.writer.pragma('wal_autocheckpoint = 0');
    options.writer.pragma(`journal_size_limit = ${Math.floor(options.walSizeLimit ?? WAL_SIZE_LIMIT)}`);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        path: options.path,
        intervalMs: options.intervalMs ?? 200,
        restartFrames: options.restartFrames ?? 1000,
      },
    });
    // A checkpointer must never keep the process alive on its own.
    this.worker.unref();
    this.worker.on('message', (message: { error?: string } | 'quiesce' | 'resume') => {
      if (message === 'quiesce') void this.hold();
      else if (message === 'resume') this.letGo();
      else if (message.error) options.onError?.(new Error(`WAL checkpoint: ${message.error}`));
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
    this.letGo();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would not keep the process alive long enough to be waited for.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }

  /** Holds the writer, then tells the worker to run its catch-up pass. */
  private async hold(): Promise<void> {
    const release = this.options.quiesce ? await this.options.quiesce() : () => {};
    if (this.stopped) {
      release();
      return;
    }
    this.release = release;
    this.holdTimer = setTimeout(() => this.letGo(), this.options.maxHoldMs ?? MAX_HOLD_MS);
    this.holdTimer.unref();
    this.worker.postMessage('quiet');
  }

  private letGo(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    const release = this.release;
    this.release = null;
    release?.();
  }

  private fallBack(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.letGo();
    this.options.onError?.(error);
    this.options.writer.pragma('wal_autocheckpoint = 1000');
  }
}
