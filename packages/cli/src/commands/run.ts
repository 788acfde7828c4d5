import type { RunFlags, RunRecord, RunSummary } from "@aves2/core";
import { Command } from "commander";
import { context } from "../context.js";
import { EXIT } from "../errors.js";
import { duration, elapsed, json, metricValue } from "../output/format.js";
import { bold, dim, green, red, yellow } from "../output/style.js";
import { addRunFlags } from "./run-flags.js";

type RunOpts = RunFlags & { json?: boolean; detach?: boolean; python?: string };

export function runCommand(): Command {
  return addRunFlags(
    new Command("run")
      .description("run a component (on this machine by default) and stream its progress")
      .argument("[name]", "component name (or path to its folder); optional with -f job.yaml")
      .option("-d, --detach", "start the run and return its id at once")
      .option("--json", "print the final run record as JSON (logs go to stderr)")
      .addHelpText(
        "after",
        `
Examples:
  $ pnpm component run mobilenet-v2
  $ pnpm component run mobilenet-v2 --set epochs=3 --set lr=0.01
  $ pnpm component run mobilenet-v2 --params my-params.yaml --input train_data_dir=./images/train --output result_dir=./out
  $ pnpm component run mobilenet-v2 --detach && pnpm component logs <run-id> -f
  $ pnpm component run classification-evaluate --input model_dir=run:latest/output_path   # the newest run's output (another component's)
  $ pnpm component run classification-evaluate --input model_dir=run:random-forest-classifier-2026/output_path   # a run by (a prefix of) its id
  $ pnpm component run -f job.yaml                      # an AVES2 job file, here on this machine
  $ pnpm component run -f job.yaml --backend aves2      # submitted to the AVES2 server of ~/.aves2/aves2.cfg

Ctrl-C cancels the run (its process tree is stopped, outputs written so far are kept); a second Ctrl-C kills it at once.`,
      ),
  ).action(async (name: string | undefined, opts: RunOpts) => {
    const ctx = await context(opts);
    // what the run will need (a local run's supervisor process) starts now, in parallel with loading the engine
    const { findBackend } = await import("@aves2/core/backends");
    findBackend(opts.backend ?? ctx.config.backend.value)?.warm?.();
    const { describeReplacedCode, prepareRun, runSummary } = await import("@aves2/core");
    const { plan, spec, backend, launcher, component, replacedCode } = await prepareRun(ctx, name, opts);
    if (replacedCode && opts.file) process.stderr.write(`${opts.file}: ${describeReplacedCode(replacedCode, opts.code)}\n`);
    const out = opts.json ? process.stderr : process.stdout;
    const replicas = backend.describe(plan).replicas.length;
    const { RunProgress } = await import("../output/progress.js");
    const progress = new RunProgress(out, Boolean(out.isTTY), replicas > 1);
    const { TransferView } = await import("@aves2/storage/transfer-view");
    const transfers = new TransferView(out, out.isTTY ? "tty" : "lines");

    const handle = await backend.submit(plan, spec, {
      launcher,
      ...(opts.detach ? { detach: true } : {}),
      onLog: (l) => progress.log(l),
      onEvent: (e) => progress.event(e),
      onTransfer: (t) => transfers.update(t),
    });
    if (opts.detach) {
      if (opts.json) process.stdout.write(json(await handle.wait()));
      else process.stdout.write(`${handle.runId}\n`);
      return;
    }
    out.write(dim(`run ${handle.runId}: ${component.name} ${component.version} on ${backend.name}\n`, out));

    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      progress.finish();
      out.write(interrupts === 1 ? "\ncanceling (Ctrl-C again to kill at once)...\n" : "killing...\n");
      void handle.cancel();
    };
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigint);
    const record = await handle.wait();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    progress.finish();

    if (opts.json) process.stdout.write(json(record));
    else out.write(summary(record, runSummary(backend, record)));
    process.exitCode = exitCodeOf(record);
  });
}

/**
 * The process contract's exit 2 is an entry refusing its input (bad data or
 * arguments, said in one `error:` line): the command ends as any refused input
 * does, with 2, not as a run that failed.
 */
function exitCodeOf(r: RunRecord): number {
  if (r.state === "succeeded") return EXIT.ok;
  return r.state === "failed" && r.exitCode === 2 ? EXIT.usage : EXIT.runFailed;
}

function summary(r: RunRecord, s: RunSummary): string {
  const took = duration(elapsed(r.startedAt ?? r.createdAt, r.endedAt));
  const lines: string[] = [];
  if (r.state === "succeeded") lines.push(`${green("✓ succeeded")} in ${took}  ${bold(r.runId)}`);
  else if (r.state === "canceled") lines.push(`${yellow("■ canceled")} after ${took}  ${r.runId}${r.reason ? `\n  ${r.reason}` : ""}`);
  else lines.push(`${red("✗ failed")} after ${took}  ${r.runId}${r.reason ? `\n  ${r.reason}` : ""}`);
  const m = r.metrics.summary ?? r.metrics.epochs[r.metrics.epochs.length - 1];
  if (m) {
    const scalar = Object.entries(m).filter(([, v]) => typeof v === "number" || typeof v === "string");
    lines.push(`  metrics: ${scalar.map(([k, v]) => `${k}=${metricValue(v)}`).join("  ")}`);
  }
  for (const o of s.outputs) lines.push(`  ${o.name}: ${o.location}`);
  for (const note of s.notes) lines.push(dim(`  ${note}`));
  return `${lines.join("\n")}\n`;
}
