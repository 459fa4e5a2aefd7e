/**
 * A tiny request/answer protocol over a child's IPC channel, so load generators and reader
 * fleets can live in their own processes (load must never share the server's event loop).
 */
import { join } from 'node:path';
import { BENCH, spawnTs, type Managed } from './processes.js';

interface Call {
  id: number;
  method: string;
  params: unknown;
}
interface Answer {
  id: number;
  result?: unknown;
  error?: string;
}

export type Handlers = Record<string, (params: never) => unknown>;

/** Child side: answers calls with `handlers` until the parent disconnects. */
export function serve(handlers: Handlers): void {
  if (!process.send) throw new Error('serve() needs an IPC channel (start this file with spawnWorker)');
  process.on('message', (message: Call) => {
    const handler = handlers[message.method];
    const reply = (answer: Answer): void => {
      process.send?.(answer);
    };
    if (!handler) {
      reply({ id: message.id, error: `unknown method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler((message.params ?? undefined) as never))
      .then(
        (result) => reply({ id: message.id, result: result ?? null }),
        (error: unknown) => reply({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ id: 0, result: 'ready' });
}

export interface Worker {
  managed: Managed;
  pid: number;
  call<T>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Starts bench/<script> as a child with IPC and waits until it serves. */
export async function spawnWorker(script: string, options: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<Worker> {
  const managed = spawnTs(join(BENCH, script), [], { ...options, ipc: true });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${managed.output()}`)), 30_000);
    managed.child.on('message', (answer: Answer) => {
      if (answer.id === 0) {
        clearTimeout(timer);
        resolve();
        return;
      }
      const waiter = pending.get(answer.id);
      if (!waiter) return;
      pending.delete(answer.id);
      if (answer.error !== undefined) waiter.reject(new Error(`${script}: ${answer.error}`));
      else waiter.resolve(answer.result);
    });
    void managed.exited.then((code) => {
      clearTimeout(timer);
      const error = new Error(`${script} exited (${code}):\n${managed.output().slice(-3000)}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  });
  await ready;
  return {
    managed,
    pid: managed.pid,
    call<T>(method: string, params: unknown = null, timeoutMs = 15 * 60_000): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}.${method} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        managed.child.send({ id, method, params } satisfies Call);
      });
    },
    async close() {
      if (managed.child.connected) managed.child.disconnect();
      const timer = setTimeout(() => managed.child.kill('SIGKILL'), 5000);
      await managed.exited;
      clearTimeout(timer);
    },
  };
}
