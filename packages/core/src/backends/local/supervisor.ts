/**
 * `node supervisor.js <run-dir>`: carries a detached local run (`run --detach`)
 * to its end, so the CLI that submitted it can exit.
 */
import { superviseFromDisk } from "./index.js";

const runDir = process.argv[2];
if (!runDir) {
  process.stderr.write("usage: supervisor.js <run-dir>\n");
  process.exit(2);
}
await superviseFromDisk(runDir);
