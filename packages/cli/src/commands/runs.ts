import { Command } from "commander";
import { context } from "../context.js";
import { AVES2_HOST_HELP } from "./run-flags.js";
import { duration, elapsed, json, metricValue } from "../output/format.js";
import { stateColor } from "../output/style.js";
import { table } from "../output/table.js";

export function runsCommand(): Command {
  return new Command("runs")
    .description("list runs, newest first")
    .option("-b, --backend <name>", "backend whose runs to list; aves2 asks the server for its jobs (default: every run recorded here, as last seen)")
    .option("--aves2-host <url>", AVES2_HOST_HELP)
    .option("-n, --limit <n>", "show at most n runs", "20")
    .option("--json", "print JSON")
    .option("--context <name>", "with --backend kubernetes: the kubeconfig context (default: the current one)")
    .option("--namespace <ns>", "with --backend kubernetes: the namespace (default: the context's)")
    .addHelpText("after", "\nExamples:\n  $ pnpm component runs\n  $ pnpm component runs --limit 5 --json")
    .action(async (opts: { aves2Host?: string; backend?: string; limit: string; json?: boolean; context?: string; namespace?: string }) => {
      const { createBackend, recordedRuns } = await import("@aves2/core");
      const ctx = await context({ aves2Host: opts.aves2Host });
      const limit = Math.max(1, Number.parseInt(opts.limit, 10) || 20);
      const kubernetes = { ...(opts.context ? { context: opts.context } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}) };
      const records = (opts.backend ? await createBackend(opts.backend, { ...ctx, kubernetes }).list() : await recordedRuns(ctx)).slice(0, limit);
      if (opts.json) {
        process.stdout.write(json(records.map(({ plan: _p, ...r }) => r)));
        return;
      }
      if (records.length === 0) {
        process.stdout.write("no runs yet: try `pnpm component run mobilenet-v2`\n");
        return;
      }
      const rows = records.map((r) => {
        const top = r.metrics.summary?.top1 ?? r.metrics.epochs[r.metrics.epochs.length - 1]?.val_accuracy;
        const where = r.details.jobId !== undefined ? `${r.backend} #${r.details.jobId}` : r.backend;
        const component = r.component.version ? `${r.component.name}@${r.component.version}` : r.component.name;
        return [r.runId, component, stateColor(r.state), r.createdAt.replace("T", " ").slice(0, 19), duration(elapsed(r.startedAt, r.endedAt)), metricValue(top), where];
      });
      process.stdout.write(`${table(["RUN ID", "COMPONENT", "STATE", "CREATED (UTC)", "DURATION", "TOP1", "BACKEND"], rows)}\n`);
    });
}
