import { backendDeclarations, type BackendOption, optionFlag } from "@aves2/core/backends";
import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { bold } from "../output/style.js";
import { table } from "../output/table.js";

/** An option as `backends --json` lists it. */
function optionJSON(o: BackendOption) {
  return {
    name: o.name,
    flag: optionFlag(o),
    key: o.key,
    type: o.type,
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.choices ? { choices: o.choices } : {}),
    help: o.help,
  };
}

export function backendsCommand(): Command {
  return new Command("backends")
    .description("list the backends (where runs go) and the options each takes on `run` and `render`")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component backends\n  $ pnpm component backends --json")
    .action(async (opts: { json?: boolean }) => {
      const ctx = await context();
      const chosen = ctx.config.backend.value;
      const all = backendDeclarations();
      const isDefault = (d: (typeof all)[number]) => d.name === chosen || (d.aliases ?? []).includes(chosen);
      if (opts.json) {
        process.stdout.write(
          json(all.map((d) => ({ name: d.name, aliases: d.aliases ?? [], title: d.title, summary: d.summary, remote: d.remote, default: isDefault(d), options: d.options.map(optionJSON) }))),
        );
        return;
      }
      const blocks = all.map((d) => {
        const head = `${bold(d.name)}${d.aliases?.length ? ` (${d.aliases.join(", ")})` : ""}${isDefault(d) ? `   default (from: ${ctx.config.backend.source})` : ""}`;
        const options = d.options.length
          ? table(["  OPTION", "HELP"], d.options.map((o) => [`  ${optionFlag(o)}`, o.help]))
          : "  no options";
        return `${head}\n  ${d.summary}\n${options}`;
      });
      process.stdout.write(`${blocks.join("\n\n")}\n`);
    });
}
