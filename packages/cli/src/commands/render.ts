import type { RunFlags } from "@aves2/core";
import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { addRunFlags } from "./run-flags.js";

export function renderCommand(): Command {
  return addRunFlags(
    new Command("render")
      .description("print the plan of a run (what `run` would do) without doing anything")
      .argument("<name>", "component name (or path to its folder)")
      .option("--json", "print JSON instead of YAML")
      .addHelpText(
        "after",
        "\nExamples:\n  $ pnpm component render mobilenet-v2\n  $ pnpm component render mobilenet-v2 --set epochs=3 --input train_data_dir=./images --json",
      ),
  ).action(async (name: string, opts: RunFlags & { json?: boolean; python?: string }) => {
      const { planRun, requestFromFlags, toYaml } = await import("@aves2/core");
    const ctx = await context(opts);
    const request = requestFromFlags(name, opts, ctx.cwd, ctx.config.backend.value);
    const { plan } = await planRun(ctx.root, ctx.config, request, ctx.libs);
    process.stdout.write(opts.json ? json(plan) : toYaml(plan, { lineWidth: 120, noRefs: true }));
  });
}
