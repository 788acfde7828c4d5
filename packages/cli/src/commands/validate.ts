import type { Problem } from "@aves2/core";
import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { green, red } from "../output/style.js";

export function validateCommand(): Command {
  return new Command("validate")
    .description("check component manifests against the schema and their own rules (all components by default)")
    .argument("[names...]", "component names or paths to component folders")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component validate\n  $ pnpm component validate mobilenet-v2\n  $ pnpm component validate ./components/my-detector")
    .action(async (names: string[], opts: { json?: boolean }) => {
      const { componentDirs, findComponent, formatProblem, loadComponent, UserError } = await import("@aves2/core/catalog");
      const ctx = await context();
      const targets = names.length ? names : componentDirs(ctx.root);
      const results = targets.map((t) => {
        try {
          const c = names.length ? findComponent(ctx.root, t) : loadComponent(t);
          return { target: c.name, valid: true, problems: [] as readonly Problem[] };
        } catch (e) {
          if (e instanceof UserError) return { target: t.split("/").pop() ?? t, valid: false, problems: e.problems };
          throw e;
        }
      });
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
