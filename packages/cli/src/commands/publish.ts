import { spawnSync } from "node:child_process";
import { Command, Option } from "commander";
import { context } from "../context.js";
import { json } from "../output/format.js";
import { green, red } from "../output/style.js";
import { table } from "../output/table.js";

interface PublishOpts {
  to?: string;
  registry?: string;
  access?: string;
  dryRun?: boolean;
  build: boolean;
  json?: boolean;
}

export function publishCommand(): Command {
  return new Command("publish")
    .description("publish components to an npm registry and (with --to) to object storage; by default every component whose version is not published yet")
    .argument("[names...]", "components to publish (default: all whose version is new)")
    .option("--to <s3-uri>", "also upload to this catalog in object storage: s3://bucket (→ s3://bucket/components/) or s3://bucket/prefix/ (default: $AVES2_PUBLISH_TO)")
    .option("--registry <url>", "npm registry (default: npm's own config: @aves2-components:registry, npm_config_registry, .npmrc)")
    .addOption(
      new Option("--access <level>", "who may install it (default: package.json publishConfig.access, .npmrc access, else public: npm would make scoped packages restricted)").choices([
        "public",
        "restricted",
      ]),
    )
    .option("--dry-run", "say what would be published, publish nothing")
    .option("--no-build", "do not build the components first")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      `
The registry and its credentials come from the usual npm places
(@aves2-components:registry or npm_config_registry, .npmrc with
//host/:_authToken=..., //host/:_auth=... or //host/:username + :_password).
Credentials only go to the registry they are stored for: a tarball on
another host gets none. A published version is never overwritten;
a publish that failed half-way (registry done, storage not) is finished by
running it again.

Examples:
  $ pnpm component publish --dry-run
  $ pnpm component publish --to s3://aves2
  $ pnpm component publish mobilenet-v2 --registry http://127.0.0.1:4873/ --to s3://aves2/opensource/components/`,
    )
    .action(async (names: string[], opts: PublishOpts) => {
      const core = await import("@aves2/core");
      const ctx = await context();
      const components = names.length
        ? names.map((n) => core.findComponent(ctx.root, n))
        : core.loadCatalog(ctx.root).flatMap((e) => (e.component ? [e.component] : []));
      if (opts.build && !opts.dryRun && !build(ctx.root, components.map((c) => c.name))) {
        throw core.UserError.of("building the components failed (see above); nothing was published");
      }
      const to = opts.to ?? process.env.AVES2_PUBLISH_TO;
      const registry = new core.NpmRegistry(core.registryConfig({ root: ctx.root, scope: core.COMPONENT_SCOPE, ...(opts.registry ? { flag: opts.registry } : {}) }));
      const storage = to ? new core.S3Catalog(to, core.s3Settings(ctx.config.s3)).bundleStore() : undefined;
      const results = await core.publishComponents(components, { registry, ...(storage ? { storage } : {}), libs: ctx.libs, dryRun: Boolean(opts.dryRun), onlyNew: names.length === 0, ...(opts.access ? { access: opts.access } : {}) });
      if (opts.json) process.stdout.write(json(results));
      else {
        const cell = (s?: string) => (s === "published" ? green(s) : s === "failed" ? red(s) : (s ?? "-"));
        process.stdout.write(`${table(["COMPONENT", "VERSION", `REGISTRY (${registry.url})`, `STORAGE${to ? ` (${storage!.label})` : ""}`], results.map((r) => [r.name, r.version, cell(r.registry), cell(r.storage)]))}\n`);
      }
      const failed = results.filter((r) => r.error);
      for (const r of failed) process.stderr.write(`${red("error", process.stderr)}: ${r.name}@${r.version}: ${r.error}\n`);
      if (failed.length) process.exitCode = 1;
    });
}

/** What is published is what was built: the launcher's dist must match its source. */
function build(root: string, names: string[]): boolean {
  const filters = names.flatMap((n) => ["--filter", `@aves2-components/${n}`]);
  const r = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only", ...filters], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  return r.status === 0;
}
