/** Prints an agent's new credentials, for `agents create` and `agents rotate`. */
import type { AgentCredentials } from '../../protocol/index.js';
import type { CliIo } from '../command.js';

export function printCredentials(io: CliIo, credentials: AgentCredentials, json: boolean, text: { heading: string; footer?: string }): void {
  if (json) {
    io.out(`${JSON.stringify({ id: credentials.id, name: credentials.name, token: credentials.token, signingSecret: credentials.signingSecret }, null, 2)}\n`);
    return;
  }
  io.out(
    [
      text.heading,
      '',
      `  Agent ID:        ${credentials.id}`,
      `  Agent token:     ${credentials.token}`,
      `  Signing secret:  ${credentials.signingSecret}`,
      '',
      'Store the token and the signing secret now: they are shown only once.',
      'The agent answers with the token (AGENT_TOKEN) and verifies our webhooks with the secret (SIGNING_SECRET).',
      ...(text.footer ? [text.footer] : []),
      '',
    ].join('\n'),
  );
}
