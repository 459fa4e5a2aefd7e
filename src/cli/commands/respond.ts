/** `webhook-chat respond`: answer a task as its agent, through the same webhook an agent backend calls. */
import type { WebhookResponseResponse } from '../../protocol/index.js';
import { callApi } from '../api.js';
import { AGENT_OPTIONS, booleanValue, optional, required, type Command } from '../command.js';

export const respond: Command = {
  words: ['respond'],
  summary: 'Answer a task as its agent (POST /api/communications/webhook-response).',
  options: {
    task: { type: 'string', placeholder: '<taskId>', required: true, description: 'the task to answer' },
    text: { type: 'string', placeholder: '<text>', required: true, description: 'the answer (Markdown)' },
    final: { type: 'string', placeholder: 'true|false', default: 'true', description: 'false keeps the page waiting for more' },
    'message-id': { type: 'string', placeholder: '<id>', description: 'your ID for the answer; repeating it stores the answer once' },
    'in-reply-to': { type: 'string', placeholder: '<messageId>', description: 'the user message this answers; default the latest pending one' },
    ...AGENT_OPTIONS,
  },
  notes: ['Example:', '  AGENT_TOKEN=wct_… webhook-chat respond --task task_… --text "Here is your answer"'],
  async run(args, io) {
    const messageId = optional(args, 'message-id');
    const inReplyTo = optional(args, 'in-reply-to');
    const final = booleanValue('final', optional(args, 'final') ?? 'true');
    const taskId = required(args, 'task');
    const answer = await callApi<WebhookResponseResponse>({
      server: required(args, 'server'),
      method: 'POST',
      path: '/api/communications/webhook-response',
      token: required(args, 'token'),
      body: {
        taskId,
        response: required(args, 'text'),
        final,
        ...(messageId === undefined ? {} : { messageId }),
        ...(inReplyTo === undefined ? {} : { inReplyTo }),
      },
    });
    if (args.values.json === true) {
      io.out(`${JSON.stringify(answer, null, 2)}\n`);
      return;
    }
    io.out(
      answer.duplicate
        ? `Already stored: answer ${answer.messageId} (seq ${answer.seq}) in ${taskId}; nothing new was written.\n`
        : `Stored answer ${answer.messageId} (seq ${answer.seq}) in ${taskId}${final ? '' : '; the page keeps waiting for more'}.\n` +
            (messageId === undefined ? `To retry safely, pass --message-id ${answer.messageId}.\n` : ''),
    );
  },
};
