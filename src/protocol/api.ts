/** Request and response bodies of the HTTP API, shared by the server, the chat page and the SDK. */
import type { AgentPublic, Communication, TaskView } from './task.js';

/** Every 4xx and 5xx body. `code` is stable (see docs/errors.md); `message` is for people. */
export interface ErrorBody {
  success: false;
  error: { code: string; message: string };
}

/** POST /api/tasks/assign-user-task */
export interface AssignUserTaskRequest {
  agentId: string;
  message: string;
  /** Continue this task; without it a new task is created. */
  taskId?: string;
  /** Client-chosen ID: sending the same one twice stores the message once. */
  messageId?: string;
}
export interface AssignUserTaskResponse {
  success: true;
  taskId: string;
  messageId: string;
  seq: number;
  /** True when this messageId was already stored; nothing new was written. */
  duplicate: boolean;
  task: TaskView;
}

/** POST /api/communications/webhook-response (agent → us). */
export interface WebhookResponseRequest {
  taskId: string;
  /** The answer text. Either `response` or `status` is required. */
  response?: string;
  /** Agent-chosen ID for idempotency. */
  messageId?: string;
  /** Defaults to true; false keeps the page waiting for more. */
  final?: boolean;
  /** The user message this answers; without it, the latest pending one. */
  inReplyTo?: string;
  /** A transient status such as "working"; shown until it expires or is replaced. */
  status?: string;
  /** Optional text shown with the status. */
  statusText?: string;
}
export interface WebhookResponseResponse {
  success: true;
  taskId: string;
  /** Absent when only a status was posted. */
  messageId?: string;
  seq?: number;
  duplicate: boolean;
}

/** GET /api/communications/get-responses?taskId=&after=&wait= */
export interface GetResponsesResponse {
  success: true;
  /** Agent answers, oldest first, newer than `after`. */
  responses: Communication[];
  taskId: string;
  /** Pass back as `after` to get only what is newer. */
  cursor: number;
  task: TaskView;
}

/** POST /api/communications/test-response */
export interface TestResponseRequest {
  taskId: string;
  testMessage?: string;
}

/** POST /api/tasks/cancel */
export interface CancelTurnRequest {
  taskId: string;
  /** The user message whose turn to cancel; default the latest pending one. */
  messageId?: string;
}

/** GET /api/agents */
export interface ListAgentsResponse {
  success: true;
  agents: AgentPublic[];
}

/** POST /api/agents (admin) and POST /api/agents/:id/rotate (admin). Secrets are shown once. */
export interface CreateAgentRequest {
  name: string;
  description?: string;
  endpointUrl?: string;
  /** Optional fixed ID; generated when absent. */
  id?: string;
}
export interface AgentCredentials {
  success: true;
  id: string;
  name: string;
  /** Bearer token for the webhook. */
  token: string;
  /** `whsec_…` secret for Standard Webhooks signatures, both directions. */
  signingSecret: string;
}
