import { CommanderError } from "commander";
import { red } from "./output/style.js";

export const EXIT = { ok: 0, runFailed: 1, usage: 2, internal: 70 } as const;

/** One line per problem for user errors; a bug says so, with its stack only under --debug. */
export async function report(e: unknown, debug: boolean): Promise<number> {
  // loaded here, not at start-up: `--help` and `list` should not pay for what only errors need
  const { formatProblem, isUserError, RunFailedError } = await import("@aves2/core/catalog");
  const err = process.stderr;
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (isUserError(e)) {
    for (const p of e.problems) err.write(`${red("error", err)}: ${formatProblem(p)}\n`);
    if (debug) err.write(`${e.stack}\n`);
    return EXIT.usage;
  }
  if (e instanceof RunFailedError) {
    err.write(`${red("error", err)}: ${e.message}\n`);
    return EXIT.runFailed;
  }
  const msg = e instanceof Error ? e.message : String(e);
  err.write(`${red("internal error", err)}: ${msg}\n`);
  err.write(debug && e instanceof Error ? `${e.stack}\n` : "this is a bug; run again with --debug for the stack trace and report it\n");
  return EXIT.internal;
}
