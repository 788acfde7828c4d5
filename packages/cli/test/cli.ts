import { fileURLToPath } from "node:url";
import { runCli as run, startCli as start } from "@aves2/testkit";

export { alive, collectOutput, REPO, tempDir, waitFor } from "@aves2/testkit";

/** A catalog with the `echo` test component (node only, no Python). */
export const FIXTURE = fileURLToPath(new URL("./fixtures/catalog", import.meta.url));

export const runCli = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) => run(args, { cwd: FIXTURE, ...opts });
export const startCli = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) => start(args, { cwd: FIXTURE, ...opts });
