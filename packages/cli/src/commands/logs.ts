import { Command } from "commander";
import { context } from "../context.js";
import { AVES2_HOST_HELP } from "./run-flags.js";

export function logsCommand(): Command {
  return new Command("logs")
    .description("print a run's logs (every replica, prefixed when there are several)")
    .argument("<run-id>", "run id (a unique prefix is enough)")
    .option("-f, --follow", "keep printing new lines until the run ends")
    .option("-b, --backend <name>", "backend of the run (default: the one its record names; a bare number is an AVES2 job id)")
    .option("--aves2-host <url>", AVES2_HOST_HELP)
    .addHelpText("after", "\nExamples:\n  $ pnpm component logs mobilenet-v2-20261125-101500-ab12\n  $ pnpm component logs mobilenet-v2-2026 -f")
    .action(async (id: string, opts: { aves2Host?: string; follow?: boolean; backend?: string }) => {
      const { backendForRun } = await import("@aves2/core");
      const ctx = await context({ aves2Host: opts.aves2Host });
      const backend = backendForRun(ctx, id, opts.backend);
      const replicas = ((await backend.status(id)).details.replicas as string[] | undefined) ?? [];
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      await backend.logs(id, {
        follow: Boolean(opts.follow),
        signal: ac.signal,
        onLog: (l) => process.stdout.write(`${replicas.length > 1 ? `[${l.replica}] ` : ""}${l.text}\n`),
      });
    });
}
