import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { green, red } from "../output/style.js";

export function validateCommand(): Command {
  return new Command("validate")
    .description("check component manifests against the schema, their own rules and the catalog's (sample.uses refs to other components); all components by default")
    .argument("[names...]", "component names or paths to component folders")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component validate\n  $ pnpm component validate mobilenet-v2\n  $ pnpm component validate ./components/my-detector")
    .action(async (names: string[], opts: { json?: boolean }) => {
      const { formatProblem, validateComponents } = await import("@aves2/core/catalog");
      const results = validateComponents((await context()).root, names);
      if (opts.json) process.stdout.write(json(results));
      else {
        for (const r of results) {
          if (r.valid) process.stdout.write(`${green("✓")} ${r.target}\n`);
          else {
            process.stdout.write(`${red("✗")} ${r.target}\n`);
            for (const p of r.problems) process.stdout.write(`  ${formatProblem(p)}\n`);
          }
        }
        if (results.length === 0) process.stdout.write("no components to validate\n");
      }
      if (results.some((r) => !r.valid)) process.exitCode = 2;
    });
}
