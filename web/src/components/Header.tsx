import type { ReactElement } from 'react';
import type { AgentPublic } from '../../../src/protocol/index.js';
import { AgentPicker } from './AgentPicker.js';
import { LogoMark, PlusIcon } from './icons.js';

interface Props {
  agents: AgentPublic[] | null;
  agentId: string | null;
  onAgentChange(agentId: string): void;
  onNewChat(): void;
  canStartNew: boolean;
}

export function Header({ agents, agentId, onAgentChange, onNewChat, canStartNew }: Props): ReactElement {
  return (
    <header className="header">
      <div className="header__brand">
        <LogoMark />
        <h1 className="header__title">Webhook Chat</h1>
      </div>
      <div className="header__controls">
        <AgentPicker agents={agents} agentId={agentId} onChange={onAgentChange} />
        <button type="button" className="button button--ghost" onClick={onNewChat} disabled={!canStartNew}>
          <PlusIcon />
          <span className="button__text">New chat</span>
        </button>
      </div>
    </header>
  );
}
