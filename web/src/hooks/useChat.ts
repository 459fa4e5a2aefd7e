import { useCallback, useMemo, useReducer, useRef, useState } from 'react';
import { cancelTurn, NetworkError } from '../lib/api.js';
import { retryNow } from '../lib/connectivity.js';
import { newMessageId } from '../lib/message-id.js';
import type { SyncUpdate } from '../lib/sync-types.js';
import type { TransportMode } from '../lib/transport.js';
import { chatReducer, initialChat, type ChatState } from '../state/chat-state.js';
import { pendingTurn, timeline, type PendingTurn, type TimelineItem } from '../state/selectors.js';
import { useConnectivity } from './useConnectivity.js';
import { useDeadline } from './useDeadline.js';
import { useSendQueue } from './useSendQueue.js';
import { useTaskSync } from './useTaskSync.js';

/**
 * 1 s polling stops by itself this long after the server's turn timeout, when the server has
 * failed the turn and the page has said so (Refresh still works). The stream and long-poll cost
 * nothing while idle, so they keep listening.
 */
export const GIVE_UP_MARGIN_MS = 60_000;
/** The server's defaults, until its first task view says otherwise. */
const DEFAULT_TURN_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_STILL_WAITING_MS = 30_000;

export interface Chat {
  state: ChatState;
  items: TimelineItem[];
  pending: PendingTurn | null;
  /** Waited so long that automatic checking stopped. */
  gaveUp: boolean;
  /** How long to wait before saying the agent is slow (the server's STILL_WAITING_MS). */
  slowAfterMs: number;
  mode: TransportMode;
  live: boolean;
  /** The page should be receiving now: a stream or long-poll is open, or polls run for an answer. */
  listening: boolean;
  notice: string | null;
  dismissNotice(): void;
  /** Returns false when there was nothing to send. */
  send(text: string): boolean;
  retry(messageId: string): void;
  cancel(): Promise<void>;
  refresh(): Promise<void>;
  newChat(agentId: string | null): void;
}

export function useChat(initialAgentId: string | null, preference: { mode: TransportMode; forced: boolean }): Chat {
  const [state, dispatch] = useReducer(chatReducer, initialAgentId, (agentId) => initialChat(agentId));
  const [notice, setNotice] = useState<string | null>(null);
  const { online } = useConnectivity();
  const stateRef = useRef(state);
  stateRef.current = state;

  useSendQueue(state, dispatch, online, setNotice);

  const pending = useMemo(() => pendingTurn(state), [state]);
  const turnTimeoutMs = state.task?.turnTimeoutMs ?? DEFAULT_TURN_TIMEOUT_MS;
  const waitedTooLong = useDeadline(pending ? pending.since + turnTimeoutMs + GIVE_UP_MARGIN_MS : null);
  const active = pending !== null && !waitedTooLong && state.syncError === null;

  const { session } = state;
  const sync = useTaskSync({
    taskId: state.taskId,
    active,
    preference,
    cursor: () => stateRef.current.cursor,
    version: () => stateRef.current.task?.version ?? null,
    onUpdate: (update: SyncUpdate) => dispatch({ type: 'synced', session, update }),
    onFail: (error: string) => dispatch({ type: 'syncFailed', session, error }),
  });

  const send = useCallback((text: string) => {
    if (text.trim() === '' || stateRef.current.agentId === null) return false;
    dispatch({ type: 'enqueue', messageId: newMessageId(), text, sentAt: Date.now() });
    return true;
  }, []);

  const retry = useCallback((messageId: string) => {
    dispatch({ type: 'requeue', messageIds: [messageId] });
    retryNow();
  }, []);

  const { taskId } = state;
  const cancel = useCallback(async () => {
    if (taskId === null || pending === null) return;
    try {
      const res = await cancelTurn({ taskId, messageId: pending.messageId });
      dispatch({ type: 'synced', session, update: { responses: [], cursor: null, task: res.task } });
    } catch (error) {
      setNotice(error instanceof Error ? `Couldn't cancel: ${error.message}` : "Couldn't cancel");
    }
  }, [taskId, pending, session]);

  const gaveUp = waitedTooLong && sync.mode === 'poll';
  const listening = state.taskId !== null && state.syncError === null && (sync.mode !== 'poll' || active);
  const slowAfterMs = state.task?.stillWaitingAfterMs ?? DEFAULT_STILL_WAITING_MS;
  const { refresh: syncRefresh } = sync;
  const refresh = useCallback(async () => {
    try {
      await syncRefresh();
    } catch (error) {
      // An outage already shows in the connection banner.
      if (error instanceof NetworkError) return;
      setNotice(error instanceof Error ? `Couldn't refresh: ${error.message}` : "Couldn't refresh");
    }
  }, [syncRefresh]);

  const newChat = useCallback((agentId: string | null) => {
    setNotice(null);
    dispatch({ type: 'newChat', agentId });
  }, []);

  const dismissNotice = useCallback(() => setNotice(null), []);
  const items = useMemo(() => timeline(state), [state]);

  return {
    state,
    items,
    pending,
    gaveUp,
    slowAfterMs,
    mode: sync.mode,
    live: sync.live,
    listening,
    notice,
    dismissNotice,
    send,
    retry,
    cancel,
    refresh,
    newChat,
  };
}
