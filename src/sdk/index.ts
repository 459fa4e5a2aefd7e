/**
 * The Webhook Chat agent SDK.
 *
 * - `verifyTaskWebhook` checks the signature of a task webhook we POST to your endpoint.
 * - `AgentClient` answers tasks (`respond`), posts statuses, and runs pull mode.
 *
 * docs/agents.md explains both modes and the webhook contract.
 */
export { verifyTaskWebhook, WebhookVerificationError, type HeaderSource } from './verify.js';
export {
  AgentClient,
  WebhookChatError,
  type AgentClientOptions,
  type PullLoopOptions,
  type PulledTask,
  type RespondOptions,
} from './agent-client.js';
export type * from '../protocol/index.js';
