/** `webhook-chat deliveries replay <id>`: send a dead-lettered delivery again, with a fresh retry schedule. */
import { callApi } from '../api.js';
import { ADMIN_OPTIONS, required, type Command } from '../command.js';

export const deliveriesReplay: Command = {
  words: ['deliveries', 'replay'],
  summary: 'Replay a dead-lettered (failed) delivery: it is queued again with a fresh retry schedule and the same webhook-id.',
  positionals: ['<deliveryId>'],
  options: { ...ADMIN_OPTIONS },
  async run(args, io) {
    const id = args.positionals[0] as string;
    await callApi({ server: required(args, 'server'), method: 'POST', path: `/api/admin/deliveries/${encodeURIComponent(id)}/replay`, token: required(args, 'admin-token') });
    if (args.values.json === true) io.out(`${JSON.stringify({ success: true, id })}\n`);
    else io.out(`Queued ${id} again; see its progress with: webhook-chat deliveries list\n`);
  },
};
