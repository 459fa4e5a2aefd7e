import type { ReactElement } from 'react';
import { AlertIcon, CloseIcon } from './icons.js';

interface Props {
  offline: boolean;
  onRetryNow(): void;
  error: string | null;
  onDismiss(): void;
}

/** One banner at a time: losing the server matters more than any single failed request. */
export function Banner({ offline, onRetryNow, error, onDismiss }: Props): ReactElement | null {
  if (offline) {
    return (
      <div className="banner banner--warn" data-testid="banner" role="status">
        <AlertIcon />
        <p className="banner__text">Can't reach the server — retrying…</p>
        <button type="button" className="button button--small" onClick={onRetryNow}>
          Retry now
        </button>
      </div>
    );
  }
  if (error) {
    return (
      <div className="banner banner--error" data-testid="banner" role="alert">
        <AlertIcon />
        <p className="banner__text">{error}</p>
        <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss">
          <CloseIcon />
        </button>
      </div>
    );
  }
  return null;
}
