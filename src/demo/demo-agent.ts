/** Registers the demo Echo agent (idempotently) and runs it. */
import type { RelayContext } from '../relay/context.js';
import { newAgentToken, sha256 } from '../relay/ids.js';
import { createAgent } from '../relay/agents.js';
import { startEchoAgent, type RunningEchoAgent } from './echo-agent.js';

export const DEMO_AGENT_ID = 'echo';

export interface DemoAgent {
  token: string;
  agent: RunningEchoAgent;
}

/**
 * The token is only stored hashed, so each start issues the demo agent a fresh one (and prints
 * it); its signing secret and ID stay the same.
 */
export async function startDemoAgent(ctx: RelayContext): Promise<DemoAgent> {
  let existing = await ctx.store.getAgent(DEMO_AGENT_ID);
  let token: string;
  if (existing === null) {
    const created = await createAgent(ctx, { id: DEMO_AGENT_ID, name: 'Echo', description: 'A demo agent that repeats your message.' });
    token = created.token;
    existing = await ctx.store.getAgent(DEMO_AGENT_ID);
  } else {
    token = newAgentToken();
    await ctx.store.updateAgent(DEMO_AGENT_ID, { tokenHash: sha256(token), updatedAt: ctx.now() });
  }
  if (existing === null) throw new Error('demo agent could not be created');
  const agent = await startEchoAgent({
    serverUrl: ctx.publicUrl,
    token,
    signingSecret: existing.signingSecret,
    log: ctx.log.child({ component: 'demo-agent' }),
  });
  await ctx.store.updateAgent(DEMO_AGENT_ID, { endpointUrl: agent.url, endpointDisabledAt: null, updatedAt: ctx.now() });
  return { token, agent };
}
