import type { ReactElement } from 'react';
import type { AgentStatusView } from '../../../src/protocol/index.js';
import { useDeadline } from '../hooks/useDeadline.js';

/** The agent's transient "working" status; gone once it expires unless the agent renews it. */
export function AgentStatus({ status }: { status: AgentStatusView | null }): ReactElement | null {
  const expiresAt = status ? Date.parse(status.expiresAt) : null;
  const expired = useDeadline(expiresAt !== null && Number.isFinite(expiresAt) ? expiresAt : null);
  if (!status || expired) return null;
  return (
    <p className="agent-status" data-testid="agent-status">
      <span className="agent-status__pulse" aria-hidden="true" />
      {status.text?.trim() || 'Agent is working…'}
    </p>
  );
}
