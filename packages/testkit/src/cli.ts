import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI (packages/cli): tests run what users run. A package whose tests use it lists @aves2/cli as a devDependency, so turbo builds it first and re-runs them when it changes. */
export const BIN = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url));
/** The real monorepo. */
export const REPO = fileURLToPath(new URL("../../..", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = "aves2-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * What the developer's shell holds that would make a test's result depend on
 * the machine: credentials, profiles and endpoints (AWS_*), AVES2 settings, a
 * kubeconfig or an in-cluster service account, npm settings and their files,
 * the XDG folders, proxies. Kept: AVES2_PYTHON (which interpreter to run, not
 * a setting under test) and the AWS SDK's notice switch.
 */
const MACHINE_SETTINGS = /^(AWS_|AVES2_|KUBERNETES_SERVICE_|KUBECONFIG$|npm_|INIT_CWD$|XDG_(CONFIG|CACHE|DATA|STATE)_HOME$|USERPROFILE$|(HTTPS?|ALL|NO)_PROXY$)/i;
const KEPT = new Set(["AVES2_PYTHON", "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"]);

let home: string | undefined;

/** An empty HOME of this test process's own, made on first use. */
export function testHome(): string {
  home ??= tempDir("aves2-test-home-");
  return home;
}

/**
 * The environment a program under test starts from: this process's, less the
 * machine's settings (see MACHINE_SETTINGS), with HOME an empty folder of the
 * test process, so that ~/.aws, ~/.kube/config, ~/.aves2/aves2.cfg, ~/.npmrc,
 * ~/.config/aves2 and ~/.cache/aves2 are never the developer's. The variables
 * that would name other files (AWS_CONFIG_FILE, KUBECONFIG, ...) are removed,
 * not pointed at that HOME, so a test that sets HOME to a folder of its own
 * gets the files there.
 */
export function isolatedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (KEPT.has(k) || !MACHINE_SETTINGS.test(k))) env[k] = v;
  env.HOME = testHome();
  return env;
}

export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...isolatedEnv(), NO_COLOR: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const child = startCli(args, opts);
  return collectOutput(child);
}

export function collectOutput(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
