import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { RunFlags } from "@aves2/core";
import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { addRunFlags } from "./run-flags.js";

export function renderCommand(): Command {
  return addRunFlags(
    new Command("render")
      .description("print the plan of a run (what `run` would do) without doing anything; for AVES2, the job file")
      .argument("[name]", "component name (or path to its folder); optional with -f job.yaml")
      .option("--json", "print JSON instead of YAML (for AVES2: the whole plan, with the payload to be posted)")
      .option("-o, --out-file <file>", "write it to this file instead of printing it")
      .addHelpText(
        "after",
        `
Examples:
  $ pnpm component render mobilenet-v2
  $ pnpm component render mobilenet-v2 --set epochs=3 --input train_data_dir=./images --json
  $ pnpm component render mobilenet-v2 --backend aves2 --code s3://bucket/code/mobilenet-v2/ \\
      --input train_data_dir=s3://bucket/data/train/ --output result_dir=s3://bucket/out/ \\
      --output checkpoint_dir=s3://bucket/ckpt/ --input validation_data_dir= -o job.yaml
  $ pnpm component render classification-evaluate --backend aves2 --code s3://bucket/code/classification-evaluate/ \
      --input model_dir=run:random-forest-classifier@latest/output_path --output result_dir=s3://bucket/eval/   # the s3:// URI that run saved its output to
  $ pnpm component render -f job.yaml                    # what a job file would do on this machine
  $ pnpm component render -f job.yaml --backend aves2    # the job file, checked and normalized
  $ pnpm component render mobilenet-v2 --backend k8s --distribute PYTORCH_DDP --workers 2   # the Kubernetes objects (YAML)`,
      ),
  ).action(async (name: string | undefined, opts: RunFlags & { json?: boolean; python?: string; outFile?: string }) => {
    const { describeReplacedCode, prepareRun } = await import("@aves2/core");
    const ctx = await context(opts);
    // render contacts no server: Kubernetes plans from the kubeconfig alone (or none)
    const { plan, backend, replacedCode } = await prepareRun({ ...ctx, offline: true }, name, opts);
    if (replacedCode && opts.file) process.stderr.write(`${opts.file}: ${describeReplacedCode(replacedCode, opts.code)}\n`);
    // the backend says how its plan reads (and checks it as submit would), whichever way it is printed
    const described = backend.describe(plan);
    const text = opts.json ? json(await described.json()) : await described.text();
    if (!opts.outFile) {
      process.stdout.write(text);
      return;
    }
    const file = resolve(ctx.cwd, opts.outFile);
    try {
      writeFileSync(file, text);
    } catch (e) {
      const { UserError } = await import("@aves2/core");
      throw UserError.of(`cannot write it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: `-o ${opts.outFile}` });
    }
    process.stderr.write(`wrote ${opts.outFile}\n`);
  });
}
