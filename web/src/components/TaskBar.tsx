import { useState, type ReactElement } from 'react';
import type { TransportMode } from '../lib/transport.js';
import { RefreshIcon } from './icons.js';
import { TaskId } from './TaskId.js';
import { TransportIndicator } from './TransportIndicator.js';

interface Props {
  taskId: string | null;
  mode: TransportMode;
  live: boolean;
  listening: boolean;
  online: boolean;
  onRefresh(): Promise<void>;
}

export function TaskBar({ taskId, mode, live, listening, online, onRefresh }: Props): ReactElement {
  const [refreshing, setRefreshing] = useState(false);
  const refresh = (): void => {
    setRefreshing(true);
    void onRefresh().finally(() => setRefreshing(false));
  };
  return (
    <div className="taskbar">
      <TaskId taskId={taskId} />
      <div className="taskbar__status">
        <TransportIndicator mode={mode} live={live} listening={listening} online={online} />
        <button
          type="button"
          className="button button--small"
          data-testid="refresh"
          onClick={refresh}
          disabled={taskId === null}
          aria-busy={refreshing}
          title="Check for new answers now"
        >
          <span className={refreshing ? 'spin' : undefined}>
            <RefreshIcon />
          </span>
          <span className="taskbar__refresh-text">Refresh</span>
        </button>
      </div>
    </div>
  );
}
