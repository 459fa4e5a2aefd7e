/**
 * One SSE connection reading one task. Wake-ups are coalesced: while a read is running, further
 * wakes only mark it dirty, so a burst of answers costs one extra read, not one per answer.
 * Every event comes from committed rows after the cursor, so resume is exact: no gap, no duplicate.
 *
 * A wake-up may carry the committed answer (relay/answer-hint.ts). When its seq is exactly the next
 * one of the task (every seq up to `knownSeq` has been read, and none came since), nothing can be
 * missing before it, so it is sent at once and the read that follows only refreshes the task view.
 * Otherwise the hint is ignored and the read sends it.
 */
import type { ServerResponse } from 'node:http';
import { taskTopic } from '../../events/broker.js';
import type { RelayContext } from '../../relay/context.js';
import { PAGE_SIZE } from '../../relay/readers.js';
import { readAnswerHint } from '../../relay/answer-hint.js';
import { loadTaskView, TURNS_IN_VIEW } from '../../relay/task-view.js';
import { communicationView } from '../../relay/views.js';

/** Reconnect delay the browser is told to use, in milliseconds. */
export const SSE_RETRY_MS = 2000;

/**
 * What every stream of an app reports to. One object for all of them, so that an open stream holds
 * no closures of its own: 10,000 idle readers make every per-stream byte count.
 */
export interface StreamHost {
  /** Called once when `stream` closes, whichever side closed it. */
  closed(stream: TaskStream): void;
}

export class TaskStream {
  private cursor: number;
  /** Every seq of the task up to this one has been read (and its answers sent); null before the first read. */
  private knownSeq: number | null = null;
  private version = -1;
  private reading = false;
  private dirty = false;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: RelayContext,
    /** The host closes the stream when this response closes (the browser went away). */
    readonly res: ServerResponse,
    private readonly taskId: string,
    after: number,
    private readonly host: StreamHost,
  ) {
    this.cursor = after;
    this.unsubscribe = ctx.broker.subscribe(taskTopic(taskId), (hint) => this.wake(hint));
    res.write(`retry: ${SSE_RETRY_MS}\n\n`);
    this.wake();
  }

  heartbeat(): void {
    if (!this.closed) this.res.write(': hb\n\n');
  }

  wake(hint?: string): void {
    if (this.closed) return;
    if (this.reading) {
      this.dirty = true;
      return;
    }
    if (hint !== undefined && this.sendHinted(hint)) {
      // The answer is out. The read that refreshes the task view waits until the requests already
      // queued (the webhook's own reply among them) have been served; wakes meanwhile join it.
      this.reading = true;
      setImmediate(() => {
        this.reading = false;
        this.wake();
      });
      return;
    }
    void this.read();
  }

  /** Sends the hinted answer if it is exactly the task's next seq; otherwise leaves it to the read. */
  private sendHinted(hint: string): boolean {
    if (this.knownSeq === null) return false;
    const answer = readAnswerHint(hint, this.taskId);
    if (answer === null || answer.seq !== this.knownSeq + 1) return false;
    this.knownSeq = answer.seq;
    this.cursor = answer.seq;
    this.res.write(`id: ${answer.seq}\nevent: response\ndata: ${JSON.stringify(answer)}\n\n`);
    return true;
  }

  private async read(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.dirty = false;
        // The task first: every seq up to its lastSeq is then visible to the reads after it (a
        // task's seqs commit in order), which is what lets knownSeq be trusted. The others
        // together: on PostgreSQL each is a round trip.
        const task = await this.ctx.store.getTask(this.taskId);
        const [rows, turns] = await Promise.all([
          this.ctx.store.listCommunications(this.taskId, this.cursor, PAGE_SIZE, 'agent'),
          this.ctx.store.listRecentTurns(this.taskId, TURNS_IN_VIEW),
        ]);
        if (this.closed) return;
        let chunk = '';
        for (const row of rows) {
          chunk += `id: ${row.seq}\nevent: response\ndata: ${JSON.stringify(communicationView(row))}\n\n`;
          this.cursor = row.seq;
        }
        if (task && task.version !== this.version) {
          this.version = task.version;
          const view = await loadTaskView(this.ctx, task, turns);
          chunk += `event: task\ndata: ${JSON.stringify(view)}\n\n`;
        }
        if (chunk !== '' && !this.closed) this.res.write(chunk);
        if (rows.length === PAGE_SIZE) this.dirty = true;
        // A full page may stop short of the task's last seq.
        else if (task) this.knownSeq = Math.max(task.lastSeq, this.cursor);
      } while (this.dirty && !this.closed);
    } catch (error) {
      // The store is unreachable: end the stream; the browser reconnects and resumes from its cursor.
      this.ctx.log.warn({ err: error, taskId: this.taskId }, 'stream read failed; closing stream');
      this.end();
    } finally {
      this.reading = false;
    }
  }

  /** Ends the stream, asking the browser to come back soon (shutdown, or a failed read). */
  end(retryMs = SSE_RETRY_MS): void {
    if (this.closed) return;
    this.res.end(`retry: ${retryMs}\n\n`);
    this.close();
  }

  /** Stops the stream without writing to it (its response has closed, or `end` wrote the last bytes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.host.closed(this);
  }
}
