import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { findPython, loadComponent, requestFromJobFile, resolveRun } from "@aves2/core";
import { asDescribed, byName, REPO } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
const SEED_JOB = new URL("../../../packages/core/test/aves2/fixtures/seed-job.yaml", import.meta.url).pathname;
let python: string;
beforeAll(async () => {
  python = (await findPython(component.runtime.python!)).path;
});

describe("mobilenet-v2's manifest", () => {
  it("declares exactly the params model_train_new.py accepts", () => {
    const r = spawnSync(python, ["model_train_new.py", "--aves2-describe-args"], { cwd: component.sourceDir, encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
    expect(r.status, r.stderr).toBe(0);
    const described = (JSON.parse(r.stdout) as Record<string, unknown>[]).map(({ description: _d, ...rest }) => rest);
    expect(component.params.map(asDescribed).sort(byName)).toEqual(described.sort(byName));
  });

  it("keeps its defaults, the ones the digits sample is tuned for", () => {
    const defaults = Object.fromEntries(component.params.map((p) => [p.name, p.default]));
    expect(defaults).toMatchObject({ model_name: "mobilenet_v2_10", num_class: 10, batch_size: 32, epochs: 7, lr: 0.003, image_size: 32, seed: 42, optimizer: "adam", lr_decay: "cosine", eval_every_epochs: 1, early_stop: 0 });
  });

  it("takes the seed catalog's job file unchanged", () => {
    const { component: c, request, matchedBy } = requestFromJobFile(REPO, SEED_JOB, undefined, {}, REPO, "local");
    expect([c.name, matchedBy]).toEqual(["mobilenet-v2", "command"]);
    const spec = resolveRun(c, request);
    expect(Object.fromEntries(spec.params.filter((p) => p.from !== "default").map((p) => [p.name, p.value]))).toEqual({ model_name: "mobilenet_v2_14", num_class: 37, batch_size: 4, epochs: 1 });
  });
});
