/** How the CLI fails: every failure is one of these, and each has its exit code. */

export const EXIT = {
  OK: 0,
  /** The server answered, and said no (4xx or 5xx). */
  REFUSED: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** The server could not be reached (refused connection, unknown host, timeout). */
  UNREACHABLE: 3,
} as const;

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string, readonly helpCommand?: string) {
    super(EXIT.USAGE, message);
    this.name = 'UsageError';
  }
}
