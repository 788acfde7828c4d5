import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isolatedEnv, REPO } from "../src/cli.js";

/**
 * Rules every test file keeps, checked on the text of all of them: no reading
 * of the developer's HOME or of fixed paths of one machine, and no upper bound
 * on how long something took (a slow machine is not a failure; speed is
 * measured by `pnpm bench`).
 */

/** Every test file: test folders of packages, components and templates, and *.test.ts anywhere in their sources. */
function testFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string, inTests: boolean) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist" || e.name === "fixtures" || e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, inTests || e.name === "test");
      else if (/\.(ts|mts|mjs|js)$/.test(e.name) && (inTests || /\.test\.ts$/.test(e.name))) out.push(p);
    }
  };
  for (const top of ["packages", "components", "templates"]) if (existsSync(join(REPO, top))) walk(join(REPO, top), false);
  return out.sort();
}

/** The words of the identifiers in `text`: `tookMs` → took, ms; `elapsed_seconds` → elapsed, seconds. */
const words = (text: string) =>
  (text.match(/[A-Za-z_$][\w$]*/g) ?? []).flatMap((id) =>
    id
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .split(/[\s_$]+/)
      .map((w) => w.toLowerCase()),
  );
const DURATION_WORDS = new Set(["ms", "millis", "milliseconds", "elapsed", "duration", "took", "seconds", "secs"]);
const CLOCK = /Date\.now\(\)|performance\.now\(\)|hrtime/;

interface Hit {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly text: string;
}

/** What each rule finds in one file's text. */
function scan(file: string, text: string): Hit[] {
  const hits: Hit[] = [];
  const lineAt = (i: number) => text.slice(0, i).split("\n").length;
  const add = (i: number, rule: string) => {
    const line = lineAt(i);
    hits.push({ file, line, rule, text: text.split("\n")[line - 1]!.trim() });
  };
  for (const m of text.matchAll(/\bhomedir\s*\(/g)) add(m.index, "reads the developer's HOME (homedir())");
  for (const m of text.matchAll(/["'`]\/(root|work)\//g)) add(m.index, `names a fixed path of one machine (/${m[1]}/...)`);
  for (const m of text.matchAll(/\.toBeLessThan(OrEqual)?\(/g)) {
    // what is bounded: from the nearest expect( before the matcher
    const from = text.lastIndexOf("expect(", m.index);
    const subject = from >= 0 && m.index - from < 400 ? text.slice(from + "expect(".length, m.index) : "";
    if (CLOCK.test(subject) || words(subject).some((w) => DURATION_WORDS.has(w))) add(m.index, "puts an upper bound on a duration (measure it in `pnpm bench`)");
  }
  return hits;
}

/** Hits that are what they look like on purpose, by file (relative to the repo) and the text of the line. */
const ALLOWED: { file: string; text: string; reason: string }[] = [];

const allowed = (h: Hit) => ALLOWED.some((a) => relative(REPO, h.file) === a.file && h.text.includes(a.text));
const SELF = join(REPO, "packages/testkit/test/test-hygiene.test.ts");

describe("test hygiene: what no test file does", () => {
  const files = testFiles().filter((f) => f !== SELF);

  it("finds the test files of every package, component and template", () => {
    const rel = files.map((f) => relative(REPO, f).split(sep).join("/"));
    expect(rel).toContain("packages/cli/test/publish.test.ts");
    expect(rel).toContain("packages/core/test/plan.test.ts");
    expect(rel.some((f) => /^components\/[^/]+\/test\/.+\.test\.ts$/.test(f))).toBe(true);
    expect(rel.some((f) => /^templates\/[^/]+\/test\/.+\.test\.ts$/.test(f))).toBe(true);
    expect(rel.filter((f) => f.includes("/node_modules/") || f.includes("/dist/"))).toEqual([]);
  });

  it("no test reads the developer's HOME or a fixed path of one machine, or bounds how long something took", () => {
    const hits = files.flatMap((f) => scan(f, readFileSync(f, "utf8"))).filter((h) => !allowed(h));
    expect(hits.map((h) => `${relative(REPO, h.file)}:${h.line}: ${h.rule}: ${h.text}`)).toEqual([]);
  });

  it("every allowance still matches a line, so none outlives what it was for", () => {
    const all = files.flatMap((f) => scan(f, readFileSync(f, "utf8")));
    for (const a of ALLOWED) expect(all.some((h) => relative(REPO, h.file) === a.file && h.text.includes(a.text)), `${a.file}: ${a.text}`).toBe(true);
  });

  it("the rules catch what they are for, and not what merely looks alike", () => {
    const rules = (text: string) => scan("x.test.ts", text).map((h) => h.rule.split(" (")[0]);
    expect(rules('const cfg = join(os.homedir(), ".aws");')).toEqual(["reads the developer's HOME"]);
    expect(rules('import { homedir } from "node:os";\nconst h = homedir();')).toEqual(["reads the developer's HOME"]);
    expect(rules('readFileSync("/root/.kube/config");\nconst d = `/work/main/x`;')).toEqual(["names a fixed path of one machine", "names a fixed path of one machine"]);
    expect(rules("expect(Date.now() - started).toBeLessThan(8_000);")).toEqual(["puts an upper bound on a duration"]);
    expect(rules("const took = t1 - t0;\nexpect(took).toBeLessThan(1600);")).toEqual(["puts an upper bound on a duration"]);
    expect(rules("expect(\n  elapsedMs,\n).toBeLessThanOrEqual(10);")).toEqual(["puts an upper bound on a duration"]);
    expect(rules("expect(seconds).toBeLessThan(10);")).toEqual(["puts an upper bound on a duration"]);
    expect(rules("expect((performance.now() - t) / 1000).toBeLessThan(10);")).toEqual(["puts an upper bound on a duration"]);
    // not durations, not this machine's paths, not a read of HOME
    expect(rules("expect(statSync(file).size).toBeLessThan(100 * 1024);")).toEqual([]);
    expect(rules("expect(items.length).toBeLessThanOrEqual(params.max);")).toEqual([]);
    expect(rules("expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);")).toEqual([]);
    expect(rules('parseUri("pvc://work/data", "x", "/project");\nconst d = join(tmp, "work", "x");')).toEqual([]);
    expect(rules("const env = { HOME: tempDir() };")).toEqual([]);
  });
});

describe("the environment the CLI under test starts from (isolatedEnv, used by runCli and startCli)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("has an empty HOME of the test process's own and none of the developer's credentials, profiles, kubeconfig or npm settings", () => {
    const machine: Record<string, string> = {
      HOME: "/home/developer",
      AWS_ACCESS_KEY_ID: "AKIADEVELOPER",
      AWS_SECRET_ACCESS_KEY: "developer-secret",
      AWS_PROFILE: "work",
      AWS_CONFIG_FILE: "/home/developer/.aws/config",
      AWS_SHARED_CREDENTIALS_FILE: "/home/developer/.aws/credentials",
      AWS_CA_BUNDLE: "/etc/corp-ca.pem",
      KUBECONFIG: "/home/developer/.kube/prod",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      AVES2_CLIENT_CONFIG: "/home/developer/.aves2/aves2.cfg",
      AVES2_BACKEND: "kubernetes",
      NPM_CONFIG_USERCONFIG: "/home/developer/.npmrc",
      npm_config_registry: "https://npm.corp.example/",
      XDG_CONFIG_HOME: "/home/developer/.config",
      XDG_CACHE_HOME: "/home/developer/.cache",
      HTTPS_PROXY: "http://proxy.corp.example:3128",
      no_proxy: "corp.example",
    };
    for (const [k, v] of Object.entries(machine)) vi.stubEnv(k, v);
    vi.stubEnv("AVES2_PYTHON", "/opt/venv/bin/python3");
    const env = isolatedEnv();
    expect(Object.keys(env).filter((k) => k !== "HOME" && k in machine)).toEqual([]);
    expect(env.HOME).not.toBe("/home/developer");
    expect(env.HOME!.startsWith(tmpdir())).toBe(true);
    expect(statSync(env.HOME!).isDirectory()).toBe(true);
    expect(readdirSync(env.HOME!)).toEqual([]);
    // the same HOME for every program of this test process; kept: which Python to run, and the PATH
    expect(isolatedEnv().HOME).toBe(env.HOME);
    expect(env.AVES2_PYTHON).toBe("/opt/venv/bin/python3");
    expect(env.PATH).toBe(process.env.PATH);
  });
});
