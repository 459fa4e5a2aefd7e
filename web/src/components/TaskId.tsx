import { useEffect, useState, type ReactElement } from 'react';
import { copyText } from '../lib/clipboard.js';
import { CheckIcon, CopyIcon } from './icons.js';

const PLACEHOLDER = 'New chat — the task ID appears with your first message';

/** The chat's task ID, for pasting into a curl webhook; a hint until the server assigns it. */
export function TaskId({ taskId }: { taskId: string | null }): ReactElement {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  useEffect(() => {
    if (copied === null) return;
    const timer = setTimeout(() => setCopied(null), 2000);
    return () => clearTimeout(timer);
  }, [copied]);

  useEffect(() => setCopied(null), [taskId]);

  return (
    <div className="task-id">
      <span className="task-id__label">Task</span>
      <code
        className={taskId ? 'task-id__value' : 'task-id__value task-id__value--placeholder'}
        data-testid="task-id"
        title={taskId ?? undefined}
      >
        {taskId ?? PLACEHOLDER}
      </code>
      {taskId && (
        <button
          type="button"
          className="icon-button"
          data-testid="copy-task-id"
          aria-label={copied === 'yes' ? 'Task ID copied' : 'Copy task ID'}
          title="Copy task ID"
          onClick={() => void copyText(taskId).then((ok) => setCopied(ok ? 'yes' : 'no'))}
        >
          {copied === 'yes' ? <CheckIcon /> : <CopyIcon />}
        </button>
      )}
      <span className="sr-only" role="status">
        {copied === 'yes' ? 'Task ID copied to the clipboard' : copied === 'no' ? "Couldn't copy; select the ID instead" : ''}
      </span>
    </div>
  );
}
