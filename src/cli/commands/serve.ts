/**
 * `webhook-chat serve`: start the server. It runs the very start-up of src/main.ts, in this
 * process: the options become environment variables, then main.js is imported (which starts the
 * server on import). One process means signals reach the server directly and its exit code is the
 * command's, with nothing to forward; and the import resolves alike under tsx and in dist/.
 */
import { integerValue, optional, type Command } from '../command.js';

export const serve: Command = {
  words: ['serve'],
  summary: 'Start Webhook Chat. Configuration comes from the environment (see the README); these options override it.',
  options: {
    port: { type: 'string', placeholder: '<port>', env: 'PORT', description: 'TCP port; 0 picks a free one (default 3000)' },
    host: { type: 'string', placeholder: '<host>', env: 'HOST', description: 'interface to bind (default 127.0.0.1)' },
    database: { type: 'string', placeholder: '<url>', env: 'DATABASE_URL', description: 'sqlite:PATH or postgres://… (default ./data/webhook-chat.db)' },
    'public-url': { type: 'string', placeholder: '<url>', env: 'PUBLIC_URL', description: 'how agents reach this server (their responseUrl)' },
    'no-demo': { type: 'boolean', description: 'do not start the built-in Echo demo agent (DEMO=0)' },
  },
  notes: [
    'Other settings: ADMIN_TOKEN, DELIVERY_RETRY_SCHEDULE (5s,5m,30m,2h,5h,10h), DELIVERY_TIMEOUT_MS,',
    'DELIVERY_CONCURRENCY, PULL_LEASE_MS, LOG_LEVEL … A bad value stops start-up with exit code 78.',
  ],
  async run(args, io) {
    const port = optional(args, 'port');
    if (port !== undefined) io.env.PORT = String(integerValue('port', port, 0, 65_535));
    for (const [option, variable] of [['host', 'HOST'], ['database', 'DATABASE_URL'], ['public-url', 'PUBLIC_URL']] as const) {
      const value = optional(args, option);
      if (value !== undefined) io.env[variable] = value;
    }
    if (args.values['no-demo'] === true) io.env.DEMO = '0';
    await import('../../main.js');
  },
};
