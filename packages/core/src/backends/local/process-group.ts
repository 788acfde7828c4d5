import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/**
 * Each replica runs in its own process group, so that a cancel reaches every
 * process it started (DataLoader workers, shells), and so that a Ctrl-C in the
 * terminal reaches us first and we decide how to stop it.
 */
export function spawnGroup(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  const [cmd, ...args] = argv;
  return spawn(cmd!, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
}

/** Signals the whole group led by `pid`; false if it is already gone. */
export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
