import type { ReactElement } from 'react';
import type { AgentPublic } from '../../../src/protocol/index.js';

interface Props {
  agent: AgentPublic | null;
  noAgents: boolean;
}

export function EmptyState({ agent, noAgents }: Props): ReactElement {
  if (noAgents) {
    return (
      <div className="empty">
        <div className="empty__art" aria-hidden="true" />
        <h2 className="empty__title">No agents yet</h2>
        <p className="empty__hint">
          An administrator adds agents with <code>POST /api/agents</code>. Reload this page once one exists.
        </p>
      </div>
    );
  }
  return (
    <div className="empty">
      <div className="empty__art" aria-hidden="true" />
      <h2 className="empty__title">{agent ? `Start a conversation with ${agent.name}` : 'Start a conversation'}</h2>
      {agent?.description && <p className="empty__description">{agent.description}</p>}
      <p className="empty__hint">
        Your first message opens a new task. The agent answers by calling the webhook, and the answer shows up here
        the moment it lands.
      </p>
      <p className="empty__keys">
        <kbd>Enter</kbd> to send · <kbd>Shift</kbd> + <kbd>Enter</kbd> for a new line
      </p>
    </div>
  );
}
