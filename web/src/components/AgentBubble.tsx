import { memo, type ReactElement } from 'react';
import type { Communication } from '../../../src/protocol/index.js';
import { formatTime } from '../lib/format.js';
import { useMarkdown } from '../hooks/useMarkdown.js';

interface Props {
  answer: Communication;
  agentName: string;
}

export const AgentBubble = memo(function AgentBubble({ answer, agentName }: Props): ReactElement {
  // Sanitized by DOMPurify (lib/markdown.ts): no scripts, handlers, styles, frames or forms.
  const html = useMarkdown(answer.response);
  return (
    <li className="row row--agent" data-testid="message-agent" data-message-id={answer.messageId} data-seq={answer.seq}>
      <div className="avatar" aria-hidden="true">
        {agentName.slice(0, 1).toUpperCase()}
      </div>
      <div className="row__body">
        <div className="bubble bubble--agent">
          {html === null ? (
            <p className="bubble__text">{answer.response}</p>
          ) : (
            <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />
          )}
        </div>
        <div className="meta">
          <span className="meta__who">{agentName}</span>
          <time dateTime={answer.createdAt}>{formatTime(answer.createdAt)}</time>
          {!answer.final && <span className="meta__more">more coming…</span>}
        </div>
      </div>
    </li>
  );
});
