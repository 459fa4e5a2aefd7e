/** `webhook-chat status`: show a transient status such as "working" on the user's page. */
import type { WebhookResponseResponse } from '../../protocol/index.js';
import { callApi } from '../api.js';
import { AGENT_OPTIONS, optional, required, type Command } from '../command.js';

export const status: Command = {
  words: ['status'],
  summary: 'Post a transient status for a task as its agent; it shows on the page until it expires or is replaced.',
  options: {
    task: { type: 'string', placeholder: '<taskId>', required: true, description: 'the task' },
    status: { type: 'string', placeholder: '<status>', required: true, description: 'e.g. working' },
    text: { type: 'string', placeholder: '<text>', description: 'shown with the status, e.g. "Searching the docs…"' },
    ...AGENT_OPTIONS,
  },
  async run(args, io) {
    const text = optional(args, 'text');
    const taskId = required(args, 'task');
    const answer = await callApi<WebhookResponseResponse>({
      server: required(args, 'server'),
      method: 'POST',
      path: '/api/communications/webhook-response',
      token: required(args, 'token'),
      body: { taskId, status: required(args, 'status'), ...(text === undefined ? {} : { statusText: text }) },
    });
    if (args.values.json === true) io.out(`${JSON.stringify(answer, null, 2)}\n`);
    else io.out(`Status "${required(args, 'status')}" posted to ${taskId}.\n`);
  },
};
