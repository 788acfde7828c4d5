import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { red } from "../output/style.js";
import { table } from "../output/table.js";

export function listCommand(): Command {
  return new Command("list")
    .alias("ls")
    .description("list the components of this catalog")
    .option("--json", "print JSON")
    .option("--remote", "list the published components (npm registry, or --from s3://...)")
    .option("--registry <url>", "npm registry for --remote (default: npm's config)")
    .option("--from <s3-uri>", "a catalog in object storage for --remote, e.g. s3://aves2/components/")
    .addHelpText("after", "\nExamples:\n  $ pnpm component list\n  $ pnpm component list --json\n  $ pnpm component list --remote --from s3://aves2/components/")
    .action(async (opts: { json?: boolean; remote?: boolean; registry?: string; from?: string }) => {
      if (opts.remote || opts.from) {
        const { remoteListing } = await import("@aves2/core");
        const hits = await remoteListing((await context()).root, "", opts);
        if (opts.json) process.stdout.write(json(hits));
        else process.stdout.write(`${table(["NAME", "VERSION", "DESCRIPTION"], hits.map((h) => [h.name, h.version, h.description ?? ""]))}\n`);
        return;
      }
      const { loadCatalog } = await import("@aves2/core/catalog");
      const ctx = await context();
      const entries = loadCatalog(ctx.root);
      if (opts.json) {
        process.stdout.write(
          json(
            entries.map((e) =>
              e.component
                ? {
                    name: e.component.name,
                    version: e.component.version,
                    title: e.component.title,
                    category: e.component.category,
                    framework: e.component.framework,
                    distribute: e.component.distribute,
                    dir: e.component.dir,
                    valid: true,
                  }
                : { name: e.dir.split("/").pop(), dir: e.dir, valid: false, problems: e.problems },
            ),
          ),
        );
        return;
      }
      if (entries.length === 0) {
        process.stdout.write(`no components under ${ctx.root}/components\n`);
        return;
      }
      const rows = entries.map((e) =>
        e.component
          ? [e.component.name, e.component.version, e.component.category, e.component.framework, e.component.distribute.join(","), e.component.title]
          : [e.dir.split("/").pop()!, "-", "-", "-", "-", red("invalid: see `component validate`")],
      );
      process.stdout.write(`${table(["NAME", "VERSION", "CATEGORY", "FRAMEWORK", "DISTRIBUTE", "TITLE"], rows)}\n`);
    });
}
