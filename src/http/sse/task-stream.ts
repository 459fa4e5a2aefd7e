/**
 * One SSE connection reading one task. Wake-ups are coalesced: while a read is running, further
 * wakes only mark it dirty, so a burst of answers costs one extra read, not one per answer.
 * Every event comes from committed rows after the cursor, so resume is exact: no gap, no duplicate.
 */
import type { ServerResponse } from 'node:http';
import { taskTopic } from '../../events/broker.js';
import type { RelayContext } from '../../relay/context.js';
import { PAGE_SIZE } from '../../relay/readers.js';
import { loadTaskView, TURNS_IN_VIEW } from '../../relay/task-view.js';
import { communicationView } from '../../relay/views.js';

/** Reconnect delay the browser is told to use, in milliseconds. */
export const SSE_RETRY_MS = 2000;

export class TaskStream {
  private cursor: number;
  private version = -1;
  private reading = false;
  private dirty = false;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: RelayContext,
    private readonly res: ServerResponse,
    private readonly taskId: string,
    after: number,
    private readonly onClose: () => void,
  ) {
    this.cursor = after;
    this.unsubscribe = ctx.broker.subscribe(taskTopic(taskId), () => this.wake());
    res.on('close', () => this.close());
    res.write(`retry: ${SSE_RETRY_MS}\n\n`);
    this.wake();
  }

  heartbeat(): void {
    if (!this.closed) this.res.write(': hb\n\n');
  }

  wake(): void {
    if (this.closed) return;
    if (this.reading) {
      this.dirty = true;
      return;
    }
    void this.read();
  }

  private async read(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.dirty = false;
        // Read together: on PostgreSQL each is a round trip.
        const [rows, task, turns] = await Promise.all([
          this.ctx.store.listCommunications(this.taskId, this.cursor, PAGE_SIZE, 'agent'),
          this.ctx.store.getTask(this.taskId),
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

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.onClose();
  }
}
