import { useEffect, useRef, useState, type Dispatch } from 'react';
import { ApiError, assignUserTask, NetworkError } from '../lib/api.js';
import { getConnectivity } from '../lib/connectivity.js';
import type { ChatAction, ChatState } from '../state/chat-state.js';

/**
 * Sends queued messages one at a time, oldest first, so the first message has created the task
 * before the next one names it. Each keeps its messageId across retries, so the server stores it
 * once. While the server is unreachable the queue waits; messages that failed for that reason
 * go out again by themselves when it is back.
 */
export function useSendQueue(
  state: ChatState,
  dispatch: Dispatch<ChatAction>,
  online: boolean,
  onError: (message: string) => void,
): void {
  const inFlight = useRef(false);
  const [settled, setSettled] = useState(0);
  const wasOnline = useRef(online);

  useEffect(() => {
    if (!online) {
      dispatch({ type: 'holdQueued', error: "Can't reach the server" });
      return;
    }
    if (inFlight.current || state.agentId === null) return;
    const next = state.users.find((u) => u.status === 'queued');
    if (!next) return;
    const { session, agentId, taskId } = state;
    const { messageId } = next;
    inFlight.current = true;
    dispatch({ type: 'sending', session, messageId });
    assignUserTask({ agentId, message: next.text, messageId, ...(taskId === null ? {} : { taskId }) })
      .then((response) => dispatch({ type: 'sent', session, messageId, response }))
      .catch((error: unknown) => {
        // Only an outage that the connectivity probe will see end is worth an automatic resend.
        const autoRetry = error instanceof NetworkError && !getConnectivity().online;
        const message = error instanceof Error ? error.message : 'Sending failed';
        dispatch({ type: 'sendFailed', session, messageId, error: message, autoRetry });
        if (error instanceof ApiError) onError(message);
      })
      .finally(() => {
        inFlight.current = false;
        setSettled((n) => n + 1);
      });
  }, [state, dispatch, online, onError, settled]);

  useEffect(() => {
    const cameBack = online && !wasOnline.current;
    wasOnline.current = online;
    if (!cameBack) return;
    const ids = state.users.filter((u) => u.status === 'failed' && u.autoRetry).map((u) => u.messageId);
    if (ids.length > 0) dispatch({ type: 'requeue', messageIds: ids });
  }, [online, state.users, dispatch]);
}
