/**
 * `node supervisor.js <run-dir>`: carries a local run to its end in a process
 * of its own, so that the CLI that started it may exit, or die, meanwhile
 * (see supervise.ts). `node supervisor.js --standby`: loaded ahead, it says
 * so on its IPC channel and waits there for the run folder; it exits if the
 * channel closes first.
 */
import { superviseFromDisk } from "./supervise.js";
import { STANDBY_FLAG } from "./supervisor-process.js";

const arg = process.argv[2];
if (arg === STANDBY_FLAG && process.send) {
  let started = false;
  process.once("message", (m: { runDir?: unknown }) => {
    if (typeof m?.runDir !== "string") process.exit(2);
    started = true;
    void superviseFromDisk(m.runDir).then(() => process.exit(0));
  });
  process.once("disconnect", () => {
    if (!started) process.exit(0);
  });
  process.send({ ready: true });
} else if (arg && arg !== STANDBY_FLAG) {
  await superviseFromDisk(arg);
  // the run is recorded: nothing left open (a keep-alive socket) keeps this process
  process.exit(0);
} else {
  process.stderr.write("usage: supervisor.js <run-dir> | --standby\n");
  process.exit(2);
}
