import { memo, type ReactElement } from 'react';
import type { TurnView } from '../../../src/protocol/index.js';
import { deliveryLabel } from '../lib/delivery-label.js';
import { formatTime } from '../lib/format.js';
import type { UserMessage } from '../state/chat-state.js';

interface Props {
  message: UserMessage;
  turn: TurnView | null;
  onRetry(messageId: string): void;
}

export const UserBubble = memo(function UserBubble({ message, turn, onRetry }: Props): ReactElement {
  const label = deliveryLabel(message, turn);
  return (
    <li className="row row--user" data-testid="message-user" data-message-id={message.messageId}>
      <div className={`bubble bubble--user${message.status === 'failed' ? ' bubble--failed' : ''}`}>
        <p className="bubble__text">{message.text}</p>
      </div>
      <div className="meta meta--user">
        <time dateTime={new Date(message.sentAt).toISOString()}>{formatTime(message.sentAt)}</time>
        <span className={`delivery delivery--${label.tone}`} data-testid="delivery-state" title={label.detail ?? undefined}>
          {label.text}
        </span>
        {message.status === 'failed' && (
          <button type="button" className="link-button" data-testid="retry" onClick={() => onRetry(message.messageId)}>
            Retry
          </button>
        )}
      </div>
    </li>
  );
});
