import { Command } from "commander";
import { addRunIdFlags, backendOfRun, type RunIdFlags } from "./run-id-flags.js";

export function logsCommand(): Command {
  return addRunIdFlags(
    new Command("logs")
      .description("print a run's logs (every replica, prefixed when there are several)")
      .argument("<run-id>", "run id (a unique prefix is enough)")
      .option("-f, --follow", "keep printing new lines until the run ends"),
  )
    .addHelpText("after", "\nExamples:\n  $ pnpm component logs mobilenet-v2-20261125-101500-ab12\n  $ pnpm component logs mobilenet-v2-2026 -f")
    .action(async (id: string, opts: RunIdFlags & { follow?: boolean }) => {
      const backend = await backendOfRun(id, opts);
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
