import type { ReactElement } from 'react';
import type { AgentStatusView } from '../../../src/protocol/index.js';
import { AgentStatus } from './AgentStatus.js';
import { useNow } from '../hooks/useNow.js';
import { formatElapsed } from '../lib/format.js';
import type { PendingTurn } from '../state/selectors.js';

interface Props {
  pending: PendingTurn;
  /** After this long, say that the agent is slow (the spinner alone would look stuck). */
  slowAfterMs: number;
  gaveUp: boolean;
  syncError: string | null;
  status: AgentStatusView | null;
  onCancel(): Promise<void>;
}

export function WaitingIndicator({ pending, slowAfterMs, gaveUp, syncError, status, onCancel }: Props): ReactElement {
  const stopped = gaveUp || syncError !== null;
  const now = useNow(1000, !stopped);
  const elapsed = now - pending.since;
  return (
    <div className={`waiting${stopped ? ' waiting--stopped' : ''}`} data-testid="waiting">
      <div className="waiting__main">
        {!stopped && (
          <span className="dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
        )}
        <span className="waiting__label">Waiting for agent response...</span>
        <span className="waiting__elapsed">
          <span className="sr-only">Waited </span>
          {formatElapsed(elapsed)}
        </span>
        <button type="button" className="waiting__cancel" data-testid="cancel" onClick={() => void onCancel()}>
          Cancel
        </button>
      </div>
      <AgentStatus status={status} />
      {syncError !== null ? (
        <p className="waiting__note waiting__note--error">
          Stopped checking for answers: {syncError} Press Refresh to try again.
        </p>
      ) : gaveUp ? (
        <p className="waiting__note">No answer for a long time, so the page stopped checking. Press Refresh to look again.</p>
      ) : elapsed >= slowAfterMs ? (
        <p className="waiting__note">Still waiting — the agent is taking longer than usual</p>
      ) : null}
    </div>
  );
}
