import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { bold, red } from "../output/style.js";
import { groupedTable, table } from "../output/table.js";

interface ListOpts {
  json?: boolean;
  remote?: boolean;
  registry?: string;
  from?: string;
  category?: string;
  framework?: string;
}

export function listCommand(): Command {
  return new Command("list")
    .alias("ls")
    .description("list the components of this catalog, grouped by category")
    .argument("[words...]", "only components whose name, title, description, category or upstream folder has every word (any case)")
    .option("--category <category>", "only this category, or every category under it (ml matches ml/classification)")
    .option("--framework <framework>", "only this framework: pytorch, tensorflow, sklearn, xgboost, generic")
    .option("--json", "print JSON")
    .option("--remote", "list the published components (npm registry, or --from s3://...)")
    .option("--registry <url>", "npm registry for --remote (default: npm's config)")
    .option("--from <s3-uri>", "a catalog in object storage for --remote, e.g. s3://aves2/components/")
    .addHelpText(
      "after",
      `
Examples:
  $ pnpm component list
  $ pnpm component list --category ml                   # ml/classification, ml/regression, ml/cluster, ...
  $ pnpm component list --framework sklearn random forest
  $ pnpm component list randomForest                    # which component replaces the upstream ml/.../randomForest
  $ pnpm component list --json
  $ pnpm component list --remote --from s3://aves2/components/`,
    )
    .action(async (words: string[], opts: ListOpts) => {
      if (opts.remote || opts.from) {
        const { remoteListing, UserError } = await import("@aves2/core");
        if (opts.category || opts.framework) {
          throw UserError.of("filters only the local catalog", { path: opts.category ? "--category" : "--framework", hint: "published components are searched by text: `component list --remote <words>`" });
        }
        const hits = await remoteListing((await context()).root, words.join(" "), opts);
        if (opts.json) process.stdout.write(json(hits));
        else process.stdout.write(`${table(["NAME", "VERSION", "DESCRIPTION"], hits.map((h) => [h.name, h.version, h.description ?? ""]))}\n`);
        return;
      }
      const { catalogEntryJSON, entryName, groupByCategory, loadCatalog, queryCatalog } = await import("@aves2/core/catalog");
      const ctx = await context();
      const all = loadCatalog(ctx.root);
      const filtered = queryCatalog(all, { ...(opts.category ? { category: opts.category } : {}), ...(opts.framework ? { framework: opts.framework } : {}), words });
      const groups = groupByCategory(filtered);
      if (opts.json) {
        process.stdout.write(json(groups.flatMap((g) => g.entries.map(catalogEntryJSON))));
        return;
      }
      if (all.length === 0) {
        process.stdout.write(`no components under ${ctx.root}/components\n`);
        return;
      }
      if (filtered.length === 0) {
        process.stdout.write(`no components match ${describeFilters(words, opts)} (${all.length} in this catalog; \`component list\` shows them all)\n`);
        return;
      }
      const rows = groups.map((g) => ({
        heading: bold(`${g.category ?? "invalid"} (${g.entries.length})`),
        rows: g.entries.map((e) =>
          e.component
            ? [e.component.name, e.component.version, e.component.framework, e.component.upstream ?? "-", e.component.title]
            : [entryName(e), "-", "-", "-", red("invalid: see `component validate`")],
        ),
      }));
      process.stdout.write(`${groupedTable(["NAME", "VERSION", "FRAMEWORK", "REPLACES", "TITLE"], rows)}\n`);
    });
}

function describeFilters(words: readonly string[], opts: ListOpts): string {
  return [
    ...(opts.category ? [`--category ${opts.category}`] : []),
    ...(opts.framework ? [`--framework ${opts.framework}`] : []),
    ...(words.length ? [words.map((w) => JSON.stringify(w)).join(" ")] : []),
  ].join(" ");
}
