import type { ReactElement } from 'react';
import type { TimelineItem } from '../state/selectors.js';
import { AgentBubble } from './AgentBubble.js';
import { UserBubble } from './UserBubble.js';

interface Props {
  items: TimelineItem[];
  agentName: string;
  onRetry(messageId: string): void;
}

export function MessageList({ items, agentName, onRetry }: Props): ReactElement {
  return (
    <ol className="messages" aria-label="Conversation">
      {items.map((item) =>
        item.kind === 'user' ? (
          <UserBubble key={item.key} message={item.message} turn={item.turn} onRetry={onRetry} />
        ) : (
          <AgentBubble key={item.key} answer={item.answer} agentName={agentName} />
        ),
      )}
    </ol>
  );
}
