import type { ReactElement } from 'react';
import { TRANSPORT_LABELS, type TransportMode } from '../lib/transport.js';

interface Props {
  mode: TransportMode;
  /** Receiving right now: the stream is open, or polls succeed. */
  live: boolean;
  /** Should be receiving: a task is open and its channel runs (1 s polling only while waiting). */
  listening: boolean;
  online: boolean;
}

type State = 'offline' | 'live' | 'connecting' | 'idle';

/** Said in words, not only by the dot's colour. */
const STATE_TEXT: Record<State, string> = {
  offline: 'Reconnecting…',
  live: 'Live',
  connecting: 'Connecting…',
  idle: 'Idle',
};

const EXPLAIN: Record<TransportMode, string> = {
  sse: 'Answers are pushed over a server-sent event stream the moment they land.',
  longpoll: 'The server holds each request until an answer lands (long-polling).',
  poll: 'The page asks the server for new answers every second while one is awaited.',
};

const STATE_EXPLAIN: Record<State, string> = {
  offline: ' The server is unreachable; retrying.',
  live: ' Connected.',
  connecting: ' Connecting.',
  idle: ' Not receiving right now.',
};

export function TransportIndicator({ mode, live, listening, online }: Props): ReactElement {
  const state: State = !online ? 'offline' : live ? 'live' : listening ? 'connecting' : 'idle';
  return (
    <span className="transport" data-testid="transport" data-state={state} title={`${EXPLAIN[mode]}${STATE_EXPLAIN[state]}`}>
      <span className="transport__dot" aria-hidden="true" />
      {`${STATE_TEXT[state]} · ${TRANSPORT_LABELS[mode]}`}
    </span>
  );
}
