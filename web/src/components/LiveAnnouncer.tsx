import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { Communication } from '../../../src/protocol/index.js';

interface Props {
  answers: Communication[];
  agentName: string;
}

/** Tells screen-reader users about each new answer without moving their focus. */
export function LiveAnnouncer({ answers, agentName }: Props): ReactElement {
  const [message, setMessage] = useState('');
  const announced = useRef(new Set<string>());

  useEffect(() => {
    const fresh = answers.filter((a) => !announced.current.has(a.messageId));
    if (answers.length === 0) announced.current.clear();
    if (fresh.length === 0) return;
    for (const answer of fresh) announced.current.add(answer.messageId);
    const text = fresh.map((a) => a.response.replace(/\s+/g, ' ').trim().slice(0, 280)).join(' … ');
    setMessage(`${agentName} replied: ${text}`);
  }, [answers, agentName]);

  return (
    <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {message}
    </div>
  );
}
