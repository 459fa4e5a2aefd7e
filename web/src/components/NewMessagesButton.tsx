import type { ReactElement } from 'react';
import { ArrowDownIcon } from './icons.js';

export function NewMessagesButton({ count, onClick }: { count: number; onClick(): void }): ReactElement | null {
  if (count === 0) return null;
  return (
    <button type="button" className="new-messages" data-testid="new-messages" onClick={onClick}>
      <ArrowDownIcon />
      {count === 1 ? 'New message' : `${count} new messages`}
    </button>
  );
}
