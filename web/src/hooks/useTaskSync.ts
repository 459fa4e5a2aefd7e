import { useCallback, useEffect, useRef, useState } from 'react';
import type { SyncUpdate } from '../lib/sync-types.js';
import { TaskSync, type TransportMode } from '../lib/transport.js';

export interface TaskSyncOptions {
  taskId: string | null;
  /** Whether an answer is awaited (the polling modes only poll then). */
  active: boolean;
  preference: { mode: TransportMode; forced: boolean };
  cursor(): number;
  version(): number | null;
  onUpdate(update: SyncUpdate): void;
  onFail(message: string): void;
}

export interface TaskSyncHandle {
  mode: TransportMode;
  /** Answers are flowing right now (stream open, or polls succeeding). */
  live: boolean;
  refresh(): Promise<void>;
}

/** Runs a TaskSync for the current task. A fallback, once taken, holds for later chats too. */
export function useTaskSync(options: TaskSyncOptions): TaskSyncHandle {
  const { taskId, active, preference } = options;
  const [mode, setMode] = useState<TransportMode>(preference.mode);
  const [live, setLive] = useState(false);
  const modeRef = useRef(mode);
  const latest = useRef(options);
  const syncRef = useRef<TaskSync | null>(null);

  useEffect(() => {
    latest.current = options;
  });

  useEffect(() => {
    if (taskId === null) return;
    const sync = new TaskSync(
      {
        taskId,
        cursor: () => latest.current.cursor(),
        version: () => latest.current.version(),
        deliver: (update) => latest.current.onUpdate(update),
        fail: (error) => latest.current.onFail(error.message),
        live: setLive,
      },
      modeRef.current,
      preference.forced,
      (next) => {
        modeRef.current = next;
        setMode(next);
      },
    );
    syncRef.current = sync;
    sync.setActive(latest.current.active);
    return () => {
      sync.stop();
      setLive(false);
      if (syncRef.current === sync) syncRef.current = null;
    };
  }, [taskId, preference.forced]);

  useEffect(() => {
    syncRef.current?.setActive(active);
  }, [active, taskId]);

  const refresh = useCallback(async () => {
    await syncRef.current?.refresh();
  }, []);

  return { mode, live, refresh };
}
