#!/usr/bin/env node
/**
 * The `webhook-chat` command: run the server, register agents, answer tasks, look after the
 * outbox. Each subcommand lives in commands/; this file only picks one and reports failures.
 */
import { agentsCreate } from './commands/agents-create.js';
import { agentsRotate } from './commands/agents-rotate.js';
import { agentsUpdate } from './commands/agents-update.js';
import { deliveriesList } from './commands/deliveries-list.js';
import { deliveriesReplay } from './commands/deliveries-replay.js';
import { respond } from './commands/respond.js';
import { serve } from './commands/serve.js';
import { status } from './commands/status.js';
import { commandName, helpText, parseCommandArgs, PROGRAM, type CliIo, type Command } from './command.js';
import { CliError, EXIT, UsageError } from './errors.js';

const COMMANDS: readonly Command[] = [serve, agentsCreate, agentsRotate, agentsUpdate, respond, status, deliveriesList, deliveriesReplay];

function overview(commands: readonly Command[], heading = `Usage: ${PROGRAM} <command> [options]`): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length)) + 2;
  return [
    heading,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.words.join(' ').padEnd(width)}${c.summary}`),
    '',
    `Run \`${PROGRAM} <command> --help\` for a command's options.`,
    'Exit codes: 0 done, 1 the server refused, 2 usage error, 3 server unreachable.',
  ].join('\n');
}

/** Runs one command line; resolves with the exit code. */
async function runCli(argv: string[], io: CliIo): Promise<number> {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const words = argv.filter((a) => !a.startsWith('-'));
  const command = COMMANDS.find((c) => c.words.every((word, i) => argv[i] === word));
  try {
    if (command === undefined) {
      const group = COMMANDS.filter((c) => c.words.length > 1 && c.words[0] === argv[0]);
      if (group.length > 0 && (wantsHelp || argv.length === 1)) {
        io.out(`${overview(group, `Usage: ${PROGRAM} ${argv[0]} <${group.map((c) => c.words[1]).join('|')}> [options]`)}\n`);
        return argv.length === 1 && !wantsHelp ? EXIT.USAGE : EXIT.OK;
      }
      if (argv.length === 0 || (wantsHelp && words.length === 0)) {
        io.out(`${overview(COMMANDS)}\n`);
        return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
      }
      throw new UsageError(`Unknown command "${words.slice(0, 2).join(' ')}".`, PROGRAM);
    }
    if (wantsHelp) {
      io.out(`${helpText(command)}\n`);
      return EXIT.OK;
    }
    await command.run(parseCommandArgs(command, argv.slice(command.words.length), io.env), io);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof UsageError) {
      const help = error.helpCommand ?? (command ? commandName(command) : PROGRAM);
      io.err(`${PROGRAM}: ${error.message}\nRun \`${help} --help\` for usage.\n`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      io.err(`${PROGRAM}: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

const io: CliIo = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    // exitCode rather than exit(): pending output is flushed, and `serve` keeps running.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${PROGRAM}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
