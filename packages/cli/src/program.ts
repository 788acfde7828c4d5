import { Command, Option } from "commander";
import { backendsCommand } from "./commands/backends.js";
import { cancelCommand } from "./commands/cancel.js";
import { deleteCommand } from "./commands/delete.js";
import { doctorCommand } from "./commands/doctor.js";
import { infoCommand } from "./commands/info.js";
import { listCommand } from "./commands/list.js";
import { logsCommand } from "./commands/logs.js";
import { newCommand } from "./commands/new.js";
import { publishCommand } from "./commands/publish.js";
import { renderCommand } from "./commands/render.js";
import { rerunCommand } from "./commands/rerun.js";
import { runCommand } from "./commands/run.js";
import { runsCommand } from "./commands/runs.js";
import { searchCommand } from "./commands/search.js";
import { statusCommand } from "./commands/status.js";
import { storageCommand } from "./commands/storage.js";
import { validateCommand } from "./commands/validate.js";
import { EXIT } from "./errors.js";

const VERSION = "0.1.0";

export function program(): Command {
  const p = new Command("component")
    .description("Run, inspect and validate the AVES2 catalog's ML components: locally, on Kubernetes or on an AVES2 server.")
    .version(VERSION, "-V, --version")
    .addOption(new Option("--debug", "show stack traces of errors"))
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ outputError: (s, write) => write(s) })
    .addHelpText(
      "after",
      `
Examples:
  $ pnpm component list
  $ pnpm component info mobilenet-v2
  $ pnpm component run mobilenet-v2 --set epochs=3
  $ pnpm component run mobilenet-v2 --input train_data_dir=./my-images --output result_dir=./out
  $ pnpm component runs
  $ pnpm component logs <run-id> -f

Exit codes: 0 ok, 1 the run failed, 2 bad usage or input.`,
    );
  for (const make of [listCommand, infoCommand, validateCommand, renderCommand, runCommand, runsCommand, statusCommand, logsCommand, cancelCommand, deleteCommand, rerunCommand, doctorCommand, backendsCommand, newCommand, publishCommand, searchCommand, storageCommand]) {
    const cmd = make();
    cmd.addOption(new Option("--debug").hideHelp());
    p.addCommand(cmd);
  }
  // usage errors exit 2, as the README promises (commander's default is 1)
  const exitOverride = (c: Command) => {
    c.exitOverride((err) => {
      throw Object.assign(err, { exitCode: err.exitCode === 0 ? 0 : EXIT.usage });
    });
    for (const sub of c.commands) exitOverride(sub);
  };
  exitOverride(p);
  return p;
}

/** Repeatable option: `--set a=1 --set b=2`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
