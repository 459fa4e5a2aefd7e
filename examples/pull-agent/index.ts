/**
 * A pull-mode agent in one file, for agents with no public URL: it long-polls Webhook Chat for
 * tasks, answers each, and acknowledges it (an unacknowledged task is offered again after its
 * lease, with the same deliveryId).
 *
 *   AGENT_TOKEN=wct_… npx tsx examples/pull-agent/index.ts
 *
 * WEBHOOK_CHAT_URL says where Webhook Chat runs (default http://127.0.0.1:3000).
 */
import { AgentClient, WebhookChatError } from '../../src/sdk/index.js';

const token = process.env.AGENT_TOKEN;
if (!token) {
  process.stderr.write('Set AGENT_TOKEN (from `webhook-chat agents create` without --endpoint-url).\n');
  process.exit(2);
}
const baseUrl = process.env.WEBHOOK_CHAT_URL ?? 'http://127.0.0.1:3000';
const client = new AgentClient({ baseUrl, token });
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

process.stdout.write(`Pull agent polling ${baseUrl} for tasks\n`);
try {
  await client.runPullLoop(
    async (event, task) => {
      if (event.type === 'task.canceled') {
        process.stdout.write(`task ${event.taskId}: the user canceled message ${event.messageId}\n`);
        return;
      }
      try {
        await client.setStatus(event.taskId, 'working', 'Thinking…');
        // The messageId makes a second run of this handler (after a lost ack) store nothing new.
        await client.respond(event.taskId, `You said: ${event.message}`, {
          inReplyTo: event.messageId,
          messageId: `pull_${task.deliveryId}`.slice(0, 128),
        });
      } catch (error) {
        // A canceled turn needs no answer; acknowledging the task is still right.
        if (!(error instanceof WebhookChatError && error.code === 'TURN_CANCELED')) throw error;
      }
    },
    { signal: stop.signal, onError: (error) => process.stderr.write(`pull agent: ${String(error)}\n`) },
  );
  process.stdout.write('Pull agent stopped\n');
} catch (error) {
  // Only a refused token ends the loop with an error.
  process.stderr.write(`pull agent: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
