import { Command } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { table } from "../output/table.js";

export function searchCommand(): Command {
  return new Command("search")
    .description("search the published components (npm registry, or a catalog in object storage with --from)")
    .argument("[text]", "words to look for (default: everything)", "")
    .option("--registry <url>", "npm registry (default: npm's own config)")
    .option("--from <s3-uri>", "a catalog in object storage, e.g. s3://aves2/components/")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ pnpm component search classification\n  $ pnpm component search --from s3://aves2 --json")
    .action(async (text: string, opts: { registry?: string; from?: string; json?: boolean }) => {
      const { remoteListing } = await import("@aves2/core");
      const ctx = await context();
      const hits = await remoteListing(ctx.root, text, opts);
      if (opts.json) process.stdout.write(json(hits));
      else if (hits.length === 0) process.stdout.write(`nothing published matches "${text}"\n`);
      else process.stdout.write(`${table(["NAME", "VERSION", "DESCRIPTION"], hits.map((h) => [h.name, h.version, h.description ?? ""]))}\n`);
    });
}
