import { Command } from "commander";
import { context } from "../context.js";
import { AVES2_HOST_HELP } from "./run-flags.js";
import { json } from "../output/format.js";

export function deleteCommand(): Command {
  return new Command("delete")
    .description("delete an ended run: its record and folder here, and for AVES2 the job on the server")
    .argument("<run-id>", "run id (a unique prefix is enough) or an AVES2 job id")
    .option("-b, --backend <name>", "backend of the run (default: the one its record names; a bare number is an AVES2 job id)")
    .option("--aves2-host <url>", AVES2_HOST_HELP)
    .option("--json", "print the deleted run's record as JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component delete mobilenet-v2-20261125-101500-ab12\n  $ pnpm component delete 42 --backend aves2")
    .action(async (id: string, opts: { aves2Host?: string; backend?: string; json?: boolean }) => {
      const { backendForRun, UserError } = await import("@aves2/core");
      const ctx = await context({ aves2Host: opts.aves2Host });
      const backend = backendForRun(ctx, id, opts.backend);
      if (!backend.delete) throw UserError.of(`the ${backend.name} backend cannot delete runs`);
      const r = await backend.delete(id);
      if (opts.json) process.stdout.write(json(r));
      else {
        const job = r.details.jobId !== undefined ? ` (AVES2 job ${r.details.jobId}${r.details.alreadyGone ? ", already gone from the server" : ""})` : "";
        process.stdout.write(`deleted ${r.runId}${job}\n`);
      }
    });
}
