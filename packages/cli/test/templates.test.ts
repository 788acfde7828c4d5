import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runCli, tempDir } from "./cli.js";

/**
 * Every template, generated into a scratch catalog, must validate and pass its
 * own tests (which run it on its sample data where it can run here). The
 * scratch catalog gets a node_modules of links to this workspace's packages, in
 * place of the `pnpm install` a user would run.
 */
const templates = readdirSync(join(REPO, "templates"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

const require = createRequire(join(REPO, "packages/cli/package.json"));
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

function scratchCatalog(): string {
  const root = tempDir("aves2-tmpl-");
  mkdirSync(join(root, "components"));
  mkdirSync(join(root, ".changeset"));
  writeFileSync(join(root, "aves2.config.yaml"), "");
  mkdirSync(join(root, "packages/catalog-tests"), { recursive: true });
  writeFileSync(join(root, "packages/catalog-tests/package.json"), JSON.stringify({ name: "@aves2/catalog-tests", devDependencies: { vitest: "^4.1.12", "@aves2-components/existing": "workspace:*" } }));
  copyFileSync(join(REPO, "tsconfig.base.json"), join(root, "tsconfig.base.json"));
  mkdirSync(join(root, "node_modules/@aves2"), { recursive: true });
  mkdirSync(join(root, "node_modules/@types"), { recursive: true });
  for (const p of ["cli", "core", "python-runtime", "testkit"]) symlinkSync(join(REPO, "packages", p), join(root, "node_modules/@aves2", p));
  for (const p of ["vitest", "typescript"]) symlinkSync(pkgDir(p), join(root, "node_modules", p));
  symlinkSync(pkgDir("@types/node"), join(root, "node_modules/@types/node"));
  return root;
}

describe("templates", () => {
  it("are listed with one line each", async () => {
    const r = await runCli(["new", "--list-templates", "--json"]);
    expect(JSON.parse(r.stdout).map((t: { name: string }) => t.name)).toEqual(templates);
  });

  for (const template of templates) {
    it(`${template}: generates a component that validates and passes its own tests`, async () => {
      const root = scratchCatalog();
      const name = `my-${template}`;
      const made = await runCli(["new", name, "--template", template, "--title", `My ${template}`, "--no-install", "--json"], { cwd: root });
      expect(made.code, made.stderr).toBe(0);
      const dir = join(root, "components", name);
      expect(JSON.parse(made.stdout).dir).toBe(dir);

      if (existsSync(join(dir, "launcher.ts"))) {
        const tsc = spawnSync(process.execPath, [join(pkgDir("typescript"), "bin/tsc"), "-p", "tsconfig.json"], { cwd: dir, encoding: "utf8" });
        expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
      }

      const catalogTests = JSON.parse(readFileSync(join(root, "packages/catalog-tests/package.json"), "utf8"));
      expect(catalogTests.devDependencies).toEqual({ "@aves2-components/existing": "workspace:*", [`@aves2-components/${name}`]: "workspace:*", vitest: "^4.1.12" });

      const validate = await runCli(["validate", name], { cwd: root });
      expect(validate.stdout).toContain(`✓ ${name}`);

      const tests = spawnSync(process.execPath, [join(pkgDir("vitest"), "vitest.mjs"), "run"], { cwd: dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      expect(tests.status, tests.stdout + tests.stderr).toBe(0);
      expect(tests.stdout).toMatch(/Tests\s+\d+ passed/);
    }, 240_000);
  }

  it("refuses a taken name, a bad name and an unknown template, creating nothing", async () => {
    const root = scratchCatalog();
    expect((await runCli(["new", "a", "--template", templates[0]!, "--no-install"], { cwd: root })).code).toBe(0);
    const taken = await runCli(["new", "a", "--template", templates[0]!, "--no-install"], { cwd: root });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain("components/a already exists");
    const bad = await runCli(["new", "../escape", "--template", templates[0]!], { cwd: root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"../escape" is not a valid component name');
    const unknown = await runCli(["new", "b", "--template", "nope"], { cwd: root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown template "nope"');
    expect(readdirSync(join(root, "components"))).toEqual(["a"]);
  });

  it("without a terminal, says which flags are missing", async () => {
    const r = await runCli(["new"], { cwd: scratchCatalog() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing <name> and --template");
  });
});
