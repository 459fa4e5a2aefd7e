/** `webhook-chat deliveries list`: the outbox, newest first, with attempts and last errors. */
import { callApi } from '../api.js';
import { ADMIN_OPTIONS, integerValue, optional, required, type Command } from '../command.js';
import { UsageError } from '../errors.js';

interface DeliveryRow {
  id: string;
  taskId: string;
  agentId: string;
  eventType: string;
  mode: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
}

const STATES = ['pending', 'delivered', 'failed', 'canceled'];

export const deliveriesList: Command = {
  words: ['deliveries', 'list'],
  summary: 'List deliveries (the outbox), newest first, with their attempts and last error.',
  options: {
    state: { type: 'string', placeholder: '<state>', description: `only this state: ${STATES.join(', ')}` },
    agent: { type: 'string', placeholder: '<agentId>', description: 'only this agent' },
    task: { type: 'string', placeholder: '<taskId>', description: 'only this task' },
    limit: { type: 'string', placeholder: '<n>', default: '50', description: 'at most this many (1-500)' },
    ...ADMIN_OPTIONS,
  },
  notes: ['Replay a dead letter with: webhook-chat deliveries replay <deliveryId>'],
  async run(args, io) {
    const state = optional(args, 'state');
    if (state !== undefined && !STATES.includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}, got "${state}".`);
    const query = new URLSearchParams({ limit: String(integerValue('limit', optional(args, 'limit') ?? '50', 1, 500)) });
    if (state !== undefined) query.set('state', state);
    const agent = optional(args, 'agent');
    if (agent !== undefined) query.set('agentId', agent);
    const task = optional(args, 'task');
    if (task !== undefined) query.set('taskId', task);
    const { deliveries } = await callApi<{ deliveries: DeliveryRow[] }>({
      server: required(args, 'server'),
      method: 'GET',
      path: `/api/admin/deliveries?${query.toString()}`,
      token: required(args, 'admin-token'),
    });
    if (args.values.json === true) {
      io.out(`${JSON.stringify(deliveries, null, 2)}\n`);
      return;
    }
    if (deliveries.length === 0) {
      io.out('No deliveries.\n');
      return;
    }
    for (const d of deliveries) {
      const next = d.nextAttemptAt ? `, next at ${d.nextAttemptAt}` : '';
      io.out(`${d.id}  ${d.state}  ${d.eventType} (${d.mode}) to ${d.agentId}  task ${d.taskId}  attempts ${d.attempts}${next}\n`);
      if (d.lastError) io.out(`    last error: ${d.lastError}\n`);
    }
  },
};
