/** `webhook-chat agents update <id>`: change an agent; setting the endpoint URL re-enables a disabled endpoint. */
import type { AgentPublic } from '../../protocol/index.js';
import { callApi } from '../api.js';
import { ADMIN_OPTIONS, optional, required, type Command } from '../command.js';
import { UsageError } from '../errors.js';

export const agentsUpdate: Command = {
  words: ['agents', 'update'],
  summary: 'Change an agent. Setting --endpoint-url (even to the same URL) re-enables an endpoint disabled by a 410 Gone.',
  positionals: ['<agentId>'],
  options: {
    name: { type: 'string', placeholder: '<name>', description: 'a new name' },
    description: { type: 'string', placeholder: '<text>', description: 'a new description' },
    'endpoint-url': { type: 'string', placeholder: '<url>', description: 'a new endpoint (push mode)' },
    'pull-mode': { type: 'boolean', description: 'remove the endpoint: the agent pulls its tasks from now on' },
    ...ADMIN_OPTIONS,
  },
  async run(args, io) {
    const id = args.positionals[0] as string;
    const name = optional(args, 'name');
    const description = optional(args, 'description');
    const endpointUrl = optional(args, 'endpoint-url');
    const pull = args.values['pull-mode'] === true;
    if (pull && endpointUrl !== undefined) throw new UsageError('Give --endpoint-url or --pull-mode, not both.');
    const body = {
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
      ...(endpointUrl === undefined ? {} : { endpointUrl }),
      ...(pull ? { endpointUrl: null } : {}),
    };
    if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --name, --description, --endpoint-url or --pull-mode.');
    const answer = await callApi<{ agent: AgentPublic }>({
      server: required(args, 'server'),
      method: 'PATCH',
      path: `/api/agents/${encodeURIComponent(id)}`,
      token: required(args, 'admin-token'),
      body,
    });
    if (args.values.json === true) io.out(`${JSON.stringify(answer.agent, null, 2)}\n`);
    else io.out(`Updated agent "${answer.agent.name}" (${answer.agent.id}), now in ${answer.agent.mode} mode.\n`);
  },
};
