import type { ParamDef } from "@aves2/core";
import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { bold } from "../output/style.js";
import { table } from "../output/table.js";

function range(p: ParamDef): string {
  if (p.type === "enum") return (p.values ?? []).join(" | ");
  if (p.min === undefined && p.max === undefined) return "";
  return `${p.min ?? "-∞"} .. ${p.max ?? "∞"}`;
}

export function infoCommand(): Command {
  return new Command("info")
    .description("show a component: params (type, default, range), inputs, outputs, resources, distribute types")
    .argument("<name>", "component name (or path to its folder)")
    .option("--json", "print JSON")
    .option("--registry <url>", "npm registry for <name>@<version> this catalog lacks (default: npm's config)")
    .option("--from <s3-uri>", "a catalog in object storage for <name>@<version>, e.g. s3://aves2/components/")
    .addHelpText("after", "\nExamples:\n  $ pnpm component info mobilenet-v2\n  $ pnpm component info mobilenet-v2@1.0.0 --json")
    .action(async (name: string, opts: { json?: boolean; registry?: string; from?: string }) => {
      const ctx = await context();
      // a published version may have to be fetched: only then load the whole engine
      const c = name.lastIndexOf("@") > 0 || opts.from
        ? await (async () => {
            const core = await import("@aves2/core");
            return core.resolveComponent(ctx.root, name, () => core.componentSource(ctx.root, opts));
          })()
        : (await import("@aves2/core/catalog")).findComponent(ctx.root, name);
      if (opts.json) {
        const { launcherPath: _l, ...rest } = c;
        process.stdout.write(json(rest));
        return;
      }
      const out: string[] = [];
      out.push(`${bold(c.name)} ${c.version}  ${c.title}`, "", c.description, "");
      out.push(`category: ${c.category}   framework: ${c.framework}   distribute: ${c.distribute.join(", ")}`);
      if (c.upstream) out.push(`replaces: ${c.upstream} (the upstream AVES2 component folder)`);
      out.push(`command: ${c.command.join(" ")}   (source: ${c.sourceDir})`);
      if (c.images.cpu || c.images.gpu) out.push(`images: cpu ${c.images.cpu ?? "-"}, gpu ${c.images.gpu ?? "-"}`);
      out.push("", bold("PARAMS"));
      out.push(
        table(
          ["NAME", "TYPE", "DEFAULT", "RANGE", "DESCRIPTION"],
          c.params.map((p) => [p.name, p.nullable ? `${p.type} or None` : p.type, p.default === undefined ? (p.required ? "(required)" : "-") : String(p.default), range(p), p.description ?? ""]),
        ),
      );
      out.push("", bold("INPUTS"));
      out.push(
        table(
          ["NAME", "REQUIRED", "DEFAULT", "DESCRIPTION"],
          c.inputs.map((i) => [i.name, i.required ? "yes" : "no", i.default ?? "-", i.description ?? ""]),
        ),
      );
      out.push("", bold("OUTPUTS"));
      out.push(table(["NAME", "DESCRIPTION"], c.outputs.map((o) => [o.name, o.description ?? ""])));
      out.push("", bold("RESOURCES"));
      out.push(
        table(
          ["ROLE", "COUNT", "CPU", "MEM (GiB)", "GPU"],
          Object.entries(c.resources).map(([role, r]) => [role, String(r.count), String(r.cpu), String(r.mem), String(r.gpu)]),
        ),
      );
      const notes: string[] = [];
      if (c.runtime.python) notes.push(`local runs need Python modules: ${c.runtime.python.modules.join(", ")}`);
      if (c.sample) notes.push(`sample run: ${(await import("@aves2/core/catalog")).describeSample(c.sample)}`);
      if (notes.length) out.push("", ...notes);
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
