import { freePort } from "./ports.js";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { tempDir } from "./cli.js";

// what a test publishes into it besides its own packages: their third-party dependencies
export * from "./registry-mirror.js";

/**
 * A real npm registry (verdaccio) on 127.0.0.1, in its own process so a test
 * can stop it to see what users see when the registry is down. No uplinks:
 * it serves only what the tests publish. Publishing needs a user (`token`);
 * reading is open.
 */
export interface RegistryServer {
  readonly url: string;
  /** A token of a registered user, for `//host:port/:_authToken=`. */
  readonly token: string;
  readonly storage: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<RegistryServer> {
  const dir = tempDir("aves2-registry-");
  const port = await freePort();
  const storage = join(dir, "storage");
  const config = join(dir, "config.yaml");
  writeFileSync(
    config,
    [
      `storage: ${storage}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(dir, "htpasswd")}`,
      "    max_users: 100",
      // signed tokens: checking one is a signature; a legacy token is the password, checked with bcrypt on every request
      "security:",
      "  api:",
      "    jwt:",
      "      sign:",
      "        expiresIn: 1d",
      "uplinks: {}",
      "packages:",
      "  '**':",
      "    access: $all",
      "    publish: $authenticated",
      "    unpublish: $authenticated",
      "server:",
      "  keepAliveTimeout: 5",
      "log: { type: stdout, format: json, level: error }",
      "max_body_size: 200mb",
    ].join("\n"),
  );
  const bin = join(dirname(createRequire(import.meta.url).resolve("verdaccio/package.json")), "bin", "verdaccio");
  const child: ChildProcess = spawn(process.execPath, [bin, "--config", config, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited: ${output}`);
    const ok = await fetch(`${url}-/ping`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 300) throw new Error(`verdaccio did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await fetch(`${url}-/user/org.couchdb.user:tester`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "tester", password: "tester-password", type: "user", roles: [], date: new Date().toISOString() }),
  });
  const { token } = (await res.json()) as { token: string };
  return {
    url,
    token,
    storage,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
