import { useEffect, useMemo, useRef, type ReactElement } from 'react';
import { AgentStatus } from './components/AgentStatus.js';
import { Banner } from './components/Banner.js';
import { Composer } from './components/Composer.js';
import { EmptyState } from './components/EmptyState.js';
import { Header } from './components/Header.js';
import { LiveAnnouncer } from './components/LiveAnnouncer.js';
import { MessageList } from './components/MessageList.js';
import { NewMessagesButton } from './components/NewMessagesButton.js';
import { TaskBar } from './components/TaskBar.js';
import { WaitingIndicator } from './components/WaitingIndicator.js';
import { useAgents } from './hooks/useAgents.js';
import { useAutoScroll } from './hooks/useAutoScroll.js';
import { useChat } from './hooks/useChat.js';
import { useConnectivity } from './hooks/useConnectivity.js';
import { retryNow } from './lib/connectivity.js';
import { transportPreference } from './lib/transport.js';

const preference = transportPreference(window.location.search);
const requestedAgent = new URLSearchParams(window.location.search).get('agent');

export function App(): ReactElement {
  const { agents, error: agentsError } = useAgents();
  const { online } = useConnectivity();
  const chat = useChat(null, preference);
  const { state, items, pending, newChat } = chat;

  // Open a chat with the requested (or first) agent once the list arrives.
  useEffect(() => {
    if (!agents || state.agentId !== null || agents.length === 0) return;
    const wanted = agents.find((a) => a.id === requestedAgent) ?? agents[0];
    if (wanted) newChat(wanted.id);
  }, [agents, state.agentId, newChat]);

  const agent = useMemo(() => agents?.find((a) => a.id === state.agentId) ?? null, [agents, state.agentId]);
  const agentName = agent?.name ?? 'Agent';

  const scroller = useRef<HTMLElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const ownCount = state.users.length;
  const scroll = useAutoScroll(scroller, content, items.length, ownCount);

  const status = state.task?.agentStatus ?? null;

  return (
    <div className="app">
      <Header
        agents={agents}
        agentId={state.agentId}
        onAgentChange={(id) => newChat(id)}
        onNewChat={() => newChat(state.agentId)}
        canStartNew={items.length > 0}
      />
      <TaskBar
        taskId={state.taskId}
        mode={chat.mode}
        live={chat.live}
        listening={chat.listening}
        online={online}
        onRefresh={chat.refresh}
      />
      <Banner offline={!online} onRetryNow={retryNow} error={chat.notice ?? agentsError} onDismiss={chat.dismissNotice} />
      <main className="conversation" ref={scroller} onScroll={scroll.onScroll} tabIndex={-1}>
        <div className="conversation__inner" ref={content}>
          {items.length === 0 ? (
            <EmptyState agent={agent} noAgents={agents !== null && agents.length === 0} />
          ) : (
            <MessageList items={items} agentName={agentName} onRetry={chat.retry} />
          )}
        </div>
      </main>
      <footer className="dock">
        <div className="dock__inner">
          <NewMessagesButton count={scroll.unseen} onClick={scroll.scrollToBottom} />
          {pending ? (
            <WaitingIndicator
              pending={pending}
              slowAfterMs={chat.slowAfterMs}
              gaveUp={chat.gaveUp}
              syncError={state.syncError}
              status={status}
              onCancel={chat.cancel}
            />
          ) : (
            <AgentStatus status={status} />
          )}
          <Composer
            agentName={agent?.name ?? null}
            disabled={state.agentId === null}
            chatKey={state.session}
            onSend={chat.send}
          />
        </div>
      </footer>
      <LiveAnnouncer answers={state.answers} agentName={agentName} />
    </div>
  );
}
