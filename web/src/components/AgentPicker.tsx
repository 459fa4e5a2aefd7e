import type { ReactElement } from 'react';
import type { AgentPublic } from '../../../src/protocol/index.js';

interface Props {
  agents: AgentPublic[] | null;
  agentId: string | null;
  onChange(agentId: string): void;
}

export function AgentPicker({ agents, agentId, onChange }: Props): ReactElement {
  const loading = agents === null;
  return (
    <div className="agent-picker">
      <label className="agent-picker__label" htmlFor="agent-select">
        Agent
      </label>
      <select
        id="agent-select"
        className="agent-picker__select"
        data-testid="agent-select"
        value={agentId ?? ''}
        disabled={loading || agents.length === 0}
        onChange={(event) => onChange(event.target.value)}
      >
        {loading && <option value="">Loading…</option>}
        {!loading && agents.length === 0 && <option value="">No agents</option>}
        {agents?.map((agent) => (
          <option key={agent.id} value={agent.id}>
            {agent.name}
          </option>
        ))}
      </select>
    </div>
  );
}
