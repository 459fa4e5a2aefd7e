/**
 * Start-up: config → app → listen → demo agent → background work. SIGTERM/SIGINT shut down
 * gracefully within SHUTDOWN_TIMEOUT_MS.
 */
import { randomBytes } from 'node:crypto';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { startDemoAgent } from './demo/demo-agent.js';

async function main(): Promise<void> {
  let config;
  let generatedAdminToken: string | null = null;
  try {
    // The start command runs the demo unless DEMO says otherwise.
    const env = { ...process.env };
    if (loadConfig(env, { DEMO: '1' }).demo && !env.ADMIN_TOKEN) {
      // So a newcomer can register an agent right away; a real deployment sets its own.
      generatedAdminToken = `adm_${randomBytes(24).toString('base64url')}`;
      env.ADMIN_TOKEN = generatedAdminToken;
    }
    config = loadConfig(env, { DEMO: '1' });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const built = await buildApp(config);
  const { app, ctx } = built;
  const baseUrl = await built.listen();
  const demo = config.demo ? await startDemoAgent(ctx) : null;
  built.startBackground();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    void (async () => {
      await demo?.agent.close();
      await app.close();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const lines = [
    '',
    `  Webhook Chat is running (${ctx.store.dialect}).`,
    `  Chat page:   ${baseUrl}/chat`,
    `  API docs:    ${baseUrl}/docs`,
  ];
  if (generatedAdminToken) {
    lines.push(`  Admin token: ${generatedAdminToken} (generated for this run; set ADMIN_TOKEN to choose one)`);
  }
  if (demo) {
    lines.push(
      `  Demo agent:  "echo" answers every message. Its token (new on each start): ${demo.token}`,
      '',
      '  Answer a task yourself (paste the task ID shown on the chat page):',
      `  curl -X POST ${baseUrl}/api/communications/webhook-response \\`,
      '    -H "Content-Type: application/json" \\',
      `    -H "Authorization: Bearer ${demo.token}" \\`,
      `    -d '{"taskId": "your-task-id", "response": "This is a test response from the backend!"}'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Webhook Chat failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
