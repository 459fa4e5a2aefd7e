/** `webhook-chat agents rotate <id>`: new token and signing secret; the old ones keep working for a grace period. */
import type { AgentCredentials } from '../../protocol/index.js';
import { callApi } from '../api.js';
import { ADMIN_OPTIONS, integerValue, optional, required, type Command } from '../command.js';
import { printCredentials } from './credentials.js';

export const agentsRotate: Command = {
  words: ['agents', 'rotate'],
  summary: 'Issue an agent a new token and signing secret. The old ones stay valid for the grace period.',
  positionals: ['<agentId>'],
  options: {
    'grace-seconds': { type: 'string', placeholder: '<n>', default: '86400', description: 'how long the old credentials keep working; 0 revokes them at once' },
    ...ADMIN_OPTIONS,
  },
  async run(args, io) {
    const id = args.positionals[0] as string;
    const graceRaw = optional(args, 'grace-seconds') ?? '86400';
    const grace = integerValue('grace-seconds', graceRaw, 0, 30 * 86_400);
    const rotated = await callApi<AgentCredentials>({
      server: required(args, 'server'),
      method: 'POST',
      path: `/api/agents/${encodeURIComponent(id)}/rotate?graceSeconds=${grace}`,
      token: required(args, 'admin-token'),
    });
    printCredentials(io, rotated, args.values.json === true, {
      heading: `Rotated the credentials of agent "${rotated.name}" (${rotated.id}).`,
      footer:
        grace > 0
          ? `The old token and secret keep working for ${grace} s; until then webhooks carry a signature for each secret.`
          : 'The old token and secret no longer work.',
    });
  },
};
