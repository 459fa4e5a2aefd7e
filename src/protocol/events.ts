/**
 * Server-sent events on GET /api/communications/stream?taskId=…
 *
 * - `event: response` — `data` is a Communication; `id` is its seq, so `Last-Event-ID` resumes.
 * - `event: task` — `data` is the TaskView, sent on connect and whenever the task changes.
 * - comment lines (`: hb`) are heartbeats.
 */
import type { Communication, TaskView } from './task.js';

export type StreamEvent =
  | { event: 'response'; id: number; data: Communication }
  | { event: 'task'; data: TaskView };

/** Webhooks we send to an agent's endpoint (and hand out in pull mode). */
export interface TaskMessageWebhook {
  type: 'task.message';
  taskId: string;
  messageId: string;
  agentId: string;
  message: string;
  createdAt: string;
  /** Where to POST the answer: our webhook-response endpoint. */
  responseUrl: string;
}
export interface TaskCanceledWebhook {
  type: 'task.canceled';
  taskId: string;
  messageId: string;
  agentId: string;
  createdAt: string;
}
export type AgentWebhook = TaskMessageWebhook | TaskCanceledWebhook;
