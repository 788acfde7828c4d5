import { Command } from "commander";
import { addRunIdFlags, backendOfRun, type RunIdFlags } from "./run-id-flags.js";
import { json } from "../output/format.js";
import { stateColor } from "../output/style.js";

export function rerunCommand(): Command {
  return addRunIdFlags(
    new Command("rerun")
      .description("start an ended run again, keeping its id: an AVES2 job on its server, a Kubernetes run's recorded objects resubmitted; local runs are started anew with `run`")
      .argument("<run-id>", "run id (a unique prefix is enough) or an AVES2 job id"),
  )
    .option("--json", "print the run record as JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component rerun mobilenet-v2-20261125-101500-ab12 && pnpm component logs mobilenet-v2-20261125-101500-ab12 -f")
    .action(async (id: string, opts: RunIdFlags & { json?: boolean }) => {
      const { UserError } = await import("@aves2/core");
      const backend = await backendOfRun(id, opts);
      if (!backend.rerun) {
        const r = await backend.status(id);
        throw UserError.of(`${r.runId} ran on the ${backend.name} backend, which has no server to restart it`, {
          hint: `start it anew with \`component run ${r.spec.component.dir || r.component.name} ...\` (its settings are in the run's run.json, \`component status ${r.runId} --json\`)`,
        });
      }
      const r = await backend.rerun(id);
      if (opts.json) process.stdout.write(json(r));
      else {
        const what = r.details.jobId !== undefined ? `AVES2 job ${r.details.jobId} restarted` : `resubmitted to namespace ${r.details.namespace} as attempt ${r.details.attempts}`;
        process.stdout.write(`${r.runId}: ${stateColor(r.state)} (${what})   logs: component logs ${r.runId} -f\n`);
      }
    });
}
