import { Command, Option } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { dim, green } from "../output/style.js";
import { table } from "../output/table.js";
import { bytes, syncResultLine, TransferView } from "@aves2/storage/transfer-view";

export function storageCommand(): Command {
  const storage = new Command("storage").description("move data between local folders and object storage (s3://), with the engine runs use");
  storage
    .command("sync")
    .description("copy new and changed files from <src> to <dst>: a local folder to s3://, or s3:// to a local folder (nothing is deleted)")
    .argument("<src>", "a local folder (or one file) or s3://bucket/prefix/")
    .argument("<dst>", "s3://bucket/prefix/ or a local folder")
    .option("--marker", "write a completion marker (_SUCCESS, a manifest of the files) last, as run outputs get")
    .option("--json", "print progress and the result as JSON lines")
    .addOption(new Option("--debug").hideHelp())
    .addHelpText(
      "after",
      `
Examples:
  $ pnpm component storage sync ./datasets/digits/train s3://aves2/datasets/digits/train/
  $ pnpm component storage sync ./code.tar.gz s3://aves2/code/
  $ pnpm component storage sync s3://aves2/runs/mnv2/out/ ./out

The endpoint, region and credentials come from the environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE,
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), ~/.aws, aves2.config.yaml (s3:) and ~/.aves2/aves2.cfg; see \`component doctor\`.`,
    )
    .action(async (src: string, dst: string, opts: { json?: boolean; marker?: boolean }) => {
      const { s3Settings, syncUris } = await import("@aves2/core");
      const ctx = await context();
      const out = process.stdout;
      const view = new TransferView(opts.json ? out : process.stderr, opts.json ? "json" : process.stderr.isTTY ? "tty" : "lines");
      const t = await syncUris(src, dst, { cwd: ctx.cwd, s3: s3Settings(ctx.config.s3), progress: (u) => view.update(u), ...(opts.marker ? { marker: true } : {}) });
      view.clear();
      if (opts.json) {
        out.write(`${JSON.stringify({ type: "result", ...t })}\n`);
        return;
      }
      out.write(syncResultLine(t, { ok: (s) => green(s), faint: (s) => dim(s) }));
    });
  storage
    .command("ls")
    .description("list the objects and folders under an s3:// prefix")
    .argument("<uri>", "s3://bucket/prefix/")
    .option("-r, --recursive", "every object below the prefix, not only the first level")
    .option("--json", "print JSON")
    .addOption(new Option("--debug").hideHelp())
    .addHelpText("after", "\nExamples:\n  $ pnpm component storage ls s3://aves2/datasets/\n  $ pnpm component storage ls s3://aves2/runs/mnv2/out/ --recursive --json")
    .action(async (uri: string, opts: { json?: boolean; recursive?: boolean }) => {
      const { listUri, s3Settings } = await import("@aves2/core");
      const ctx = await context();
      const entries = await listUri(uri, { cwd: ctx.cwd, s3: s3Settings(ctx.config.s3), ...(opts.recursive ? { recursive: true } : {}) });
      if (opts.json) {
        process.stdout.write(json(entries));
        return;
      }
      if (entries.length === 0) {
        process.stderr.write(`nothing under ${uri}\n`);
        return;
      }
      const rows = entries.map((e) =>
        e.kind === "folder" ? ["", "PRE", e.key] : [e.lastModified ? e.lastModified.replace("T", " ").slice(0, 19) : "-", bytes(e.size ?? 0), e.key],
      );
      process.stdout.write(`${table(["MODIFIED", "SIZE", "KEY"], rows)}\n`);
    });
  return storage;
}
