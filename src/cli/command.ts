/**
 * What a subcommand is: its words, its options (from which both the parser and the --help text
 * are made), and what it does. Parsing is node:util parseArgs, strict.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Shown in help, e.g. `<taskId>`. */
  placeholder?: string;
  description: string;
  /** An environment variable used when the option is absent. */
  env?: string;
  default?: string;
  required?: boolean;
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

export interface ParsedArgs {
  /** Option values after environment fallbacks and defaults; only strings and booleans. */
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  /** The words that select it, e.g. `['agents', 'create']`. */
  words: readonly string[];
  summary: string;
  /** Positional arguments, for the usage line, e.g. `<deliveryId>`. */
  positionals?: readonly string[];
  options: Record<string, OptionSpec>;
  /** A few lines after the options: examples, notes. */
  notes?: readonly string[];
  run(args: ParsedArgs, io: CliIo): Promise<void>;
}

export const PROGRAM = 'webhook-chat';

/** Options every command that talks to a server takes. */
export const SERVER_OPTION: Record<string, OptionSpec> = {
  server: { type: 'string', placeholder: '<url>', env: 'WEBHOOK_CHAT_URL', default: 'http://127.0.0.1:3000', description: 'Webhook Chat base URL' },
  json: { type: 'boolean', description: 'print the server\'s answer as JSON' },
};
export const ADMIN_OPTIONS: Record<string, OptionSpec> = {
  ...SERVER_OPTION,
  'admin-token': { type: 'string', placeholder: '<token>', env: 'ADMIN_TOKEN', required: true, description: 'the server\'s ADMIN_TOKEN' },
};
export const AGENT_OPTIONS: Record<string, OptionSpec> = {
  ...SERVER_OPTION,
  token: { type: 'string', placeholder: '<token>', env: 'AGENT_TOKEN', required: true, description: 'the agent\'s token (wct_…)' },
};

export function commandName(command: Command): string {
  return `${PROGRAM} ${command.words.join(' ')}`;
}

export function helpText(command: Command): string {
  const usage = [commandName(command), ...(command.positionals ?? [])];
  const required = Object.entries(command.options).filter(([, o]) => o.required && !o.env);
  for (const [name, o] of required) usage.push(`--${name} ${o.placeholder ?? ''}`.trim());
  usage.push('[options]');
  const rows = Object.entries(command.options).map(([name, o]) => {
    const left = `--${name}${o.placeholder ? ` ${o.placeholder}` : ''}`;
    const extra = [o.required ? 'required' : null, o.env ? `env ${o.env}` : null, o.default !== undefined ? `default ${o.default}` : null].filter(Boolean);
    return [left, `${o.description}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`] as const;
  });
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `Usage: ${usage.join(' ')}`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    ...(command.notes && command.notes.length > 0 ? ['', ...command.notes] : []),
    '',
    'Exit codes: 0 done, 1 the server refused, 2 usage error, 3 server unreachable.',
  ].join('\n');
}

/** Parses `argv` (after the command words) against the command's options. */
export function parseCommandArgs(command: Command, argv: string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(command.options).map(([name, o]) => [name, { type: o.type }])),
      allowPositionals: (command.positionals?.length ?? 0) > 0,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), commandName(command));
  }
  const expected = command.positionals ?? [];
  if (parsed.positionals.length !== expected.length) {
    throw new UsageError(
      expected.length === 0 ? 'This command takes no positional arguments.' : `Expected ${expected.join(' ')}.`,
      commandName(command),
    );
  }
  const values: ParsedArgs['values'] = {};
  for (const [name, o] of Object.entries(command.options)) {
    const given = parsed.values[name];
    const value = typeof given === 'string' || typeof given === 'boolean' ? given : (o.env ? env[o.env] || undefined : undefined) ?? o.default;
    if (value === undefined && o.required) {
      throw new UsageError(`Missing --${name}${o.env ? ` (or set ${o.env})` : ''}.`, commandName(command));
    }
    if (typeof value === 'string' && value.trim() === '' && o.required) throw new UsageError(`--${name} must not be empty.`, commandName(command));
    values[name] = value;
  }
  return { values, positionals: parsed.positionals };
}

/** A string option that the spec marks required (parseCommandArgs has checked it). */
export function required(args: ParsedArgs, name: string): string {
  const value = args.values[name];
  if (typeof value !== 'string') throw new UsageError(`Missing --${name}.`);
  return value;
}

export function optional(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** true/false, yes/no, 1/0. */
export function booleanValue(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  throw new UsageError(`--${name} must be true or false, got "${raw}".`);
}

export function integerValue(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}".`);
  }
  return Number(raw);
}
