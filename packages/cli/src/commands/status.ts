import { Command } from "commander";
import { addRunIdFlags, backendOfRun, type RunIdFlags } from "./run-id-flags.js";
import { duration, elapsed, json, metricValue } from "../output/format.js";
import { bold, stateColor } from "../output/style.js";
import { table } from "../output/table.js";

export function statusCommand(): Command {
  return addRunIdFlags(
    new Command("status")
      .description("show a run: state, reason, timings, metrics, transfers")
      .argument("<run-id>", "run id (a unique prefix is enough)"),
  )
    .option("--json", "print the run record as JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component status mobilenet-v2-20261125-101500-ab12\n  $ pnpm component status mobilenet-v2-2026 --json")
    .action(async (id: string, opts: RunIdFlags & { json?: boolean }) => {
      const backend = await backendOfRun(id, opts);
      const r = await backend.status(id);
      if (opts.json) {
        process.stdout.write(json(r));
        return;
      }
      const out = [
        `${bold(r.runId)}  ${stateColor(r.state)}${r.reason ? `: ${r.reason}` : ""}`,
        `component: ${r.component.version ? `${r.component.name}@${r.component.version}` : r.component.name}   backend: ${r.backend}`,
        `created: ${r.createdAt}   duration: ${duration(elapsed(r.startedAt, r.endedAt))}${r.exitCode !== undefined ? `   exit code: ${r.exitCode}` : ""}`,
        `params: ${Object.entries(r.spec.params).map(([k, v]) => `${k}=${v}`).join(" ")}`,
      ];
      const { runSummary } = await import("@aves2/core");
      const { placement } = runSummary(backend, r);
      if (placement) out.push(placement);
      if (r.metrics.epochs.length) {
        const keys = [...new Set(r.metrics.epochs.flatMap((e) => Object.keys(e)))].filter((k) => k !== "epochs");
        out.push("", table(keys.map((k) => k.toUpperCase()), r.metrics.epochs.map((e) => keys.map((k) => metricValue(e[k])))));
      }
      if (r.metrics.summary) {
        out.push("", `final: ${Object.entries(r.metrics.summary).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k}=${metricValue(v)}`).join("  ")}`);
      }
      if (r.transfers.length) {
        out.push("", table(["DIR", "NAME", "FROM/TO", "METHOD", "FILES", "SECONDS"], r.transfers.map((t) => [t.direction, t.name, t.uri, t.method, String(t.files), t.seconds.toFixed(2)])));
      }
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
