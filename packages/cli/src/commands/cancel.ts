import { Command } from "commander";
import { addRunIdFlags, backendOfRun, type RunIdFlags } from "./run-id-flags.js";
import { json } from "../output/format.js";
import { stateColor } from "../output/style.js";

export function cancelCommand(): Command {
  return addRunIdFlags(
    new Command("cancel")
      .description("stop a run and everything it started; outputs written so far are kept")
      .argument("<run-id>", "run id (a unique prefix is enough)"),
  )
    .option("--json", "print the run record as JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component cancel mobilenet-v2-20261125-101500-ab12")
    .action(async (id: string, opts: RunIdFlags & { json?: boolean }) => {
      const { TERMINAL_STATES } = await import("@aves2/core");
      const backend = await backendOfRun(id, opts);
      const before = await backend.status(id);
      const after = TERMINAL_STATES.includes(before.state) ? before : await backend.cancel(before.runId);
      if (opts.json) process.stdout.write(json(after));
      else if (before.state !== after.state) process.stdout.write(`${after.runId}: ${stateColor(after.state)}\n`);
      else process.stdout.write(`${after.runId} had already ended: ${stateColor(after.state)}\n`);
    });
}
