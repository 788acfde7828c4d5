import type { Backend } from "@aves2/core";
import type { Command } from "commander";
import { context } from "../context.js";
import { AVES2_HOST_HELP } from "./run-flags.js";

/** The flags of the verbs that act on one run (`status`, `logs`, `cancel`, `rerun`, `delete`). */
export interface RunIdFlags {
  readonly backend?: string;
  readonly aves2Host?: string;
}

/** Which backend a run is on, and which AVES2 server to ask about a job this machine has no record of. */
export function addRunIdFlags(cmd: Command): Command {
  return cmd
    .option("-b, --backend <name>", "backend of the run (default: the one its record names; a bare number is an AVES2 job id)")
    .option("--aves2-host <url>", AVES2_HOST_HELP);
}

/** The backend that holds run `id`. */
export async function backendOfRun(id: string, flags: RunIdFlags): Promise<Backend> {
  const { backendForRun } = await import("@aves2/core");
  return backendForRun(await context({ aves2Host: flags.aves2Host }), id, flags.backend);
}
