/** `webhook-chat agents create`: register an agent and print its credentials (shown once). */
import type { AgentCredentials } from '../../protocol/index.js';
import { callApi } from '../api.js';
import { ADMIN_OPTIONS, optional, required, type Command } from '../command.js';
import { printCredentials } from './credentials.js';

export const agentsCreate: Command = {
  words: ['agents', 'create'],
  summary: 'Register an agent. With --endpoint-url tasks are POSTed to it (push mode); without, the agent pulls them.',
  options: {
    name: { type: 'string', placeholder: '<name>', required: true, description: 'the name people see' },
    'endpoint-url': { type: 'string', placeholder: '<url>', description: 'where to POST tasks (push mode)' },
    description: { type: 'string', placeholder: '<text>', description: 'a line about the agent for the chat page' },
    id: { type: 'string', placeholder: '<id>', description: 'a fixed ID (lower-case letters, digits, _ and -); generated when absent' },
    ...ADMIN_OPTIONS,
  },
  notes: [
    'Example:',
    '  ADMIN_TOKEN=… webhook-chat agents create --name "Support bot" --endpoint-url https://bot.example.com/webhook',
  ],
  async run(args, io) {
    const endpointUrl = optional(args, 'endpoint-url');
    const description = optional(args, 'description');
    const id = optional(args, 'id');
    const created = await callApi<AgentCredentials>({
      server: required(args, 'server'),
      method: 'POST',
      path: '/api/agents',
      token: required(args, 'admin-token'),
      body: {
        name: required(args, 'name'),
        ...(endpointUrl === undefined ? {} : { endpointUrl }),
        ...(description === undefined ? {} : { description }),
        ...(id === undefined ? {} : { id }),
      },
    });
    printCredentials(io, created, args.values.json === true, {
      heading: `Created agent "${created.name}" (${created.id}), ${endpointUrl ? `push mode: tasks go to ${endpointUrl}` : 'pull mode: it fetches tasks from GET /api/agent/tasks'}.`,
    });
  },
};
