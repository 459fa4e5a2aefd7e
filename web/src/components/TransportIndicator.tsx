import type { ReactElement } from 'react';
import { TRANSPORT_LABELS, type TransportMode } from '../lib/transport.js';

interface Props {
  mode: TransportMode;
  /** Receiving right now: the stream is open, or polls succeed while an answer is awaited. */
  live: boolean;
  online: boolean;
}

const EXPLAIN: Record<TransportMode, string> = {
  sse: 'Answers are pushed over a server-sent event stream the moment they land.',
  longpoll: 'The server holds each request until an answer lands (long-polling).',
  poll: 'The page asks the server for new answers every second while one is awaited.',
};

export function TransportIndicator({ mode, live, online }: Props): ReactElement {
  const state = !online ? 'offline' : live ? 'live' : 'idle';
  const suffix = !online ? ' Offline right now.' : live ? ' Connected.' : ' Not receiving right now.';
  return (
    <span className="transport" data-testid="transport" data-state={state} title={`${EXPLAIN[mode]}${suffix}`}>
      <span className="transport__dot" aria-hidden="true" />
      {TRANSPORT_LABELS[mode]}
    </span>
  );
}
