import type { Problem } from "@aves2/core";
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
      const { checkCatalog, componentDirs, findComponent, formatProblem, loadCatalog, loadComponent, UserError } = await import("@aves2/core/catalog");
      const ctx = await context();
      const targets = names.length ? names : componentDirs(ctx.root);
      const loaded = targets.map((t) => {
        try {
          const c = names.length ? findComponent(ctx.root, t) : loadComponent(t);
          return { target: c.name, dir: c.dir, component: c, problems: [] as readonly Problem[] };
        } catch (e) {
          if (e instanceof UserError) return { target: t.split("/").pop() ?? t, dir: t, problems: e.problems };
          throw e;
        }
      });
      // refs between components (sample.uses) need the whole catalog, also when only some components are validated
      const mine = new Set(loaded.flatMap((l) => (l.component ? [l.component.name] : [])));
      const catalog = names.length
        ? [...loadCatalog(ctx.root).filter((e) => !e.component || !mine.has(e.component.name)), ...loaded.flatMap((l) => (l.component ? [{ dir: l.dir, component: l.component }] : []))]
        : loaded.map((l) => (l.component ? { dir: l.dir, component: l.component } : { dir: l.dir, problems: l.problems }));
      const across = checkCatalog(catalog);
      const results = loaded.map((l) => {
        const problems = [...l.problems, ...across.filter((p) => l.component && p.component === l.component.name).map(({ component: _, ...p }) => p)];
        return { target: l.target, valid: problems.length === 0, problems };
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
