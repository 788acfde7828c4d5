/**
 * Errors a user can fix (bad input, missing files, wrong params) are UserErrors:
 * the CLI prints them as one line each, with no stack trace, and exits 2.
 * Anything else that escapes is a bug and is reported as such.
 */

export interface Problem {
  /** What the problem is about: a file, a key path (`params[2].min`), a flag. */
  path?: string;
  /** 1-based line in `path`'s file, where known. */
  line?: number;
  message: string;
  /** What to do about it. */
  hint?: string;
}

export class UserError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[]) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    super(list.map(formatProblem).join("\n"));
    this.name = "UserError";
    this.problems = list;
  }

  static of(message: string, extra: Omit<Problem, "message"> = {}): UserError {
    return new UserError({ message, ...extra });
  }
}

/** A run that started and did not succeed: exit code 1, not a usage error. */
export class RunFailedError extends Error {
  constructor(
    message: string,
    readonly runId: string,
  ) {
    super(message);
    this.name = "RunFailedError";
  }
}

export function formatProblem(p: Problem): string {
  const where = p.path ? `${p.path}${p.line ? `:${p.line}` : ""}: ` : "";
  return `${where}${p.message}${p.hint ? ` (${p.hint})` : ""}`;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
