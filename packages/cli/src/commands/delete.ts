import { Command } from "commander";
import { addRunIdFlags, backendOfRun, type RunIdFlags } from "./run-id-flags.js";
import { json } from "../output/format.js";

export function deleteCommand(): Command {
  return addRunIdFlags(
    new Command("delete")
      .description("delete an ended run: its record and folder here, and for AVES2 the job on the server")
      .argument("<run-id>", "run id (a unique prefix is enough) or an AVES2 job id"),
  )
    .option("--json", "print the deleted run's record as JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component delete mobilenet-v2-20261125-101500-ab12\n  $ pnpm component delete 42 --backend aves2")
    .action(async (id: string, opts: RunIdFlags & { json?: boolean }) => {
      const { UserError } = await import("@aves2/core");
      const backend = await backendOfRun(id, opts);
      if (!backend.delete) throw UserError.of(`the ${backend.name} backend cannot delete runs`);
      const r = await backend.delete(id);
      if (opts.json) process.stdout.write(json(r));
      else {
        const job = r.details.jobId !== undefined ? ` (AVES2 job ${r.details.jobId}${r.details.alreadyGone ? ", already gone from the server" : ""})` : "";
        process.stdout.write(`deleted ${r.runId}${job}\n`);
      }
    });
}
