/** Shared set-up for the delivery tests: a server with short retry timings and an agent endpoint. */
import type { TestContext } from 'node:test';
import { startAgentServer, type Script, type TestAgentServer } from '../support/agent-server.js';
import { Session } from '../support/client.js';
import { startServer, type StartOptions, type TestServer } from '../support/server.js';
import type { AgentCredentials } from '../../src/protocol/index.js';

/** Retry timings short enough for tests; each test may override them. */
export const FAST_DELIVERY = {
  DELIVERY_RETRY_SCHEDULE: '50ms,100ms,150ms',
  DELIVERY_TIMEOUT_MS: '2000',
  DELIVERY_LEASE_MS: '1000',
};

export interface PushRig {
  server: TestServer;
  agentServer: TestAgentServer;
  agent: AgentCredentials;
  session: Session;
}

/** A server, a scriptable agent endpoint registered as a push agent, and a browser session; all stopped after the test. */
export async function pushRig(
  t: TestContext,
  options: { env?: Record<string, string>; fallback?: Script; process?: boolean } = {},
): Promise<PushRig> {
  const agentServer = await startAgentServer(options.fallback);
  t.after(() => agentServer.close());
  const server = await startTestServer(t, { env: { ...FAST_DELIVERY, ...options.env }, ...(options.process ? { process: true } : {}) });
  const agent = await server.createAgent({ name: 'Hook', endpointUrl: agentServer.url });
  return { server, agentServer, agent, session: new Session(server.url) };
}

export async function startTestServer(t: TestContext, options: StartOptions): Promise<TestServer> {
  const server = await startServer(options);
  t.after(() => server.stop());
  return server;
}

/** Admin API call on `server`; returns status and parsed body. */
export async function admin<T = Record<string, unknown>>(server: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

export interface AdminDelivery {
  id: string;
  taskId: string;
  messageId: string;
  eventType: string;
  state: string;
  attempts: number;
  lastError: string | null;
  lastStatus: number | null;
  nextAttemptAt: string | null;
}

export async function deliveriesOf(server: TestServer, taskId: string): Promise<AdminDelivery[]> {
  const { body } = await admin<{ deliveries: AdminDelivery[] }>(server, 'GET', `/api/admin/deliveries?taskId=${taskId}`);
  return body.deliveries;
}

/** The webhooks `agentServer` received for `taskId`. */
export function receivedFor(agentServer: TestAgentServer, taskId: string) {
  return agentServer.received.filter((r) => r.body.taskId === taskId);
}
