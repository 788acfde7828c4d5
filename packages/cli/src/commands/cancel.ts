import { Command } from "commander";
import { context } from "../context.js";
import { AVES2_HOST_HELP } from "./run-flags.js";
import { json } from "../output/format.js";
import { stateColor } from "../output/style.js";

export function cancelCommand(): Command {
  return new Command("cancel")
    .description("stop a run and everything it started; outputs written so far are kept")
    .argument("<run-id>", "run id (a unique prefix is enough)")
    .option("-b, --backend <name>", "backend of the run (default: the one its record names; a bare number is an AVES2 job id)")
    .option("--aves2-host <url>", AVES2_HOST_HELP)
    .option("--json", "print the run record as JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component cancel mobilenet-v2-20261125-101500-ab12")
    .action(async (id: string, opts: { aves2Host?: string; backend?: string; json?: boolean }) => {
      const { backendForRun, TERMINAL_STATES } = await import("@aves2/core");
      const ctx = await context({ aves2Host: opts.aves2Host });
      const backend = backendForRun(ctx, id, opts.backend);
      const before = await backend.status(id);
      const after = TERMINAL_STATES.includes(before.state) ? before : await backend.cancel(before.runId);
      if (opts.json) process.stdout.write(json(after));
      else if (before.state !== after.state) process.stdout.write(`${after.runId}: ${stateColor(after.state)}\n`);
      else process.stdout.write(`${after.runId} had already ended: ${stateColor(after.state)}\n`);
    });
}
