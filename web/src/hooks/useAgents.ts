import { useEffect, useState } from 'react';
import type { AgentPublic } from '../../../src/protocol/index.js';
import { ApiError, isAbortError, listAgents } from '../lib/api.js';
import { useConnectivity } from './useConnectivity.js';

export interface AgentsState {
  agents: AgentPublic[] | null;
  error: string | null;
}

/** The agent list; loaded again when the server comes back if the first try failed. */
export function useAgents(): AgentsState {
  const [state, setState] = useState<AgentsState>({ agents: null, error: null });
  const { online } = useConnectivity();
  const loaded = state.agents !== null;

  useEffect(() => {
    if (loaded || !online) return;
    const controller = new AbortController();
    listAgents(controller.signal)
      .then((res) => setState({ agents: res.agents, error: null }))
      .catch((error: unknown) => {
        if (isAbortError(error)) return;
        // Network errors show in the connection banner; this load retries when it clears.
        if (error instanceof ApiError) setState({ agents: null, error: error.message });
      });
    return () => controller.abort();
  }, [loaded, online]);

  return state;
}
