import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseYaml } from "@aves2/core";
import { REPO, runCli as runInRepo } from "@aves2/testkit";
import { describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli.js";

/** The seed's job file and the other job files live with core's AVES2 tests. */
const JOBS = join(REPO, "packages/core/test/aves2/fixtures");
const GOLDEN = fileURLToPath(new URL("./fixtures/aves2/", import.meta.url));

const load = (text: string) => parseYaml(text, "test.yaml").data;

/** Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it (review the diff before committing). */
function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

/** The seed's settings as flags: rendering mobilenet-v2 with them must give the seed's job. */
const SEED_FLAGS = [
  "--backend", "aves2",
  "--name", "mobilenet-v2 image classification",
  "--debug-job",
  "--image", "ai-image.jd.com/jupyter/tensorflow:1.12-nb5.7-ubuntu16.04-py3.6",
  "--resource", "worker.mem=2",
  "--resource", "worker.gpu=1",
  "--code", "s3://aves2/opensource/components/mobilenet-v2-14/",
  "--set", "model_name=mobilenet_v2_14",
  "--set", "num_class=37",
  "--set", "batch_size=4",
  "--set", "epochs=1",
  "--input", "train_data_dir=s3://aves2/opensource/datasets/classification/pettfrecord/train/",
  "--input", "validation_data_dir=s3://aves2/opensource/datasets/classification/pettfrecord/test/",
  "--input", "pre_trained_model_ckpt_path=s3://aves2/opensource/pretrainedmodels/image_classification/",
  "--output", "result_dir=s3://aves2/opensource/test/mobilenet-v2/out/",
  "--output", "checkpoint_dir=s3://aves2/opensource/test/mobilenet-v2/checkpoint/",
];
const NO_AVES2 = { AVES2_CLIENT_CONFIG: "/no/such/aves2.cfg" };

describe("render --backend aves2: job files in the seed's format", () => {
  it("reproduces the seed's job from mobilenet-v2 and the seed's settings", async () => {
    const r = await runInRepo(["render", "mobilenet-v2", ...SEED_FLAGS], { env: NO_AVES2 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    golden("seed-job.rendered.yaml", r.stdout);
    // same keys, values and order of args as the seed itself
    const seed = load(readFileSync(join(JOBS, "seed-job.yaml"), "utf8"));
    expect(JSON.stringify(load(r.stdout), null, 1)).toBe(JSON.stringify(seed, null, 1));
  });

  it("reads the seed's job file as it is and writes the same job back", async () => {
    const r = await runInRepo(["render", "-f", join(JOBS, "seed-job.yaml"), "--backend", "aves2"], { env: NO_AVES2 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(GOLDEN, "seed-job.rendered.yaml"), "utf8"));
  });

  it("-o writes the job file", async () => {
    const out = join(tempDir(), "job.yaml");
    const r = await runInRepo(["render", "mobilenet-v2", ...SEED_FLAGS, "-o", out], { env: NO_AVES2 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`wrote ${out}\n`);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(GOLDEN, "seed-job.rendered.yaml"), "utf8"));
  });

  for (const [job, out] of [
    ["tf-ps-job.yaml", "tf-ps.rendered.yaml"],
    ["horovod-job.yaml", "horovod.rendered.yaml"],
  ] as const) {
    it(`renders ${job} (an ad-hoc command here) unchanged`, async () => {
      const r = await runCli(["render", "-f", join(JOBS, job), "--backend", "aves2"], { env: NO_AVES2 });
      expect(r.code, r.stderr).toBe(0);
      golden(out, r.stdout);
      expect(JSON.stringify(load(r.stdout))).toBe(JSON.stringify(load(readFileSync(join(JOBS, job), "utf8"))));
    });
  }

  it("flags change a job file: params, resources, namespace", async () => {
    const r = await runCli(
      ["render", "-f", join(JOBS, "tf-ps-job.yaml"), "--backend", "aves2", "--set", "steps=7", "-r", "worker.count=2", "-r", "ps.mem=6", "--namespace", "team-b"],
      { env: NO_AVES2 },
    );
    expect(r.code, r.stderr).toBe(0);
    const job = load(r.stdout) as { namespace: string; resource_spec: Record<string, { count: number; mem: number }>; running_spec: { normal_args: unknown[] } };
    expect(job.namespace).toBe("team-b");
    expect(job.resource_spec.worker!.count).toBe(2);
    expect(job.resource_spec.ps!.mem).toBe(6);
    expect(job.running_spec.normal_args).toEqual([{ name: "steps", value: 7 }, { name: "opt", value: "sgd" }]);
  });

  it("renders every storage mode from flags, with envs and a namespace", async () => {
    const r = await runCli(
      [
        "render", "echo", "--backend", "aves2", "--image", "node:20-slim", "--code", "s3://team-bucket/code/echo.zip",
        "--input", "data_dir=pvc://data-claim/datasets/echo/", "--output", "result_dir=hostpath:///mnt/results/echo/",
        "--set", "epochs=3", "--set", "message=hello world", "-e", "LOG_LEVEL=debug", "--namespace", "team-a", "--name", "echo on aves2",
      ],
      { env: NO_AVES2 },
    );
    expect(r.code, r.stderr).toBe(0);
    golden("echo-flags.rendered.yaml", r.stdout);
  });

  it("--json prints the whole plan: job file and the payload to be posted", async () => {
    const r = await runInRepo(["render", "mobilenet-v2", ...SEED_FLAGS, "--json"], { env: NO_AVES2 });
    const plan = JSON.parse(r.stdout);
    expect(plan.backend).toBe("aves2");
    expect(plan.jobFile.running_spec.cmd).toBe("python3 model_train_new.py");
    expect(plan.payload.resource_spec.worker).toMatchObject({ mem: "2Gi", entry_point: "python3 model_train_new.py", args: [{ model_name: "mobilenet_v2_14" }, { num_class: 37 }, { batch_size: 4 }, { epochs: 1 }] });
    expect(plan.payload.storage_config).toEqual({ mode: "OSSFile", config: null });
    expect(plan.endpoint).toBeUndefined();
  });
});

describe("render --backend aves2: what it refuses, one line each, exit 2", () => {
  const cases: [string, string[], RegExp][] = [
    ["PYTORCH_DDP", ["--distribute", "PYTORCH_DDP", "--workers", "2"], /^error: --distribute: PYTORCH_DDP is not supported by AVES2 \(AVES2 runs none, HOROVOD or TF_PS; run PyTorch DDP with --backend local or kubernetes\)$/m],
    ["the bundled (local) code", [], /^error: --code: .*\/components\/echo\/src is on this machine, where an AVES2 job cannot read it \(the component's code is bundled here; upload it with `component storage sync <dir> s3:\/\/<bucket>\/<prefix>\/` and pass --code s3:\/\/<bucket>\/<prefix>\/\)$/m],
    ["a local input", ["--input", "data_dir=/tmp"], /^error: --input data_dir: \/tmp is on this machine, where an AVES2 job cannot read it \(upload it with `component storage sync/m],
    ["an output with no destination", [], /^error: --output result_dir: has no destination; an AVES2 job saves its outputs to storage \(add --output result_dir=s3:\/\/<bucket>\/<prefix>\/\)$/m],
    ["no image", [], /^error: --image: echo names no image to run in \(pass --image <registry>\/<image>:<tag>\)$/m],
    ["mem not in whole GiB", ["-r", "worker.mem=1.5"], /^error: --resource worker\.mem: 1\.5 GiB: AVES2 takes memory in whole GiB \(e\.g\. -r worker\.mem=2\)$/m],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await runCli(["render", "echo", "--backend", "aves2", ...args], { env: NO_AVES2 });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("a job file's problems name the key path and line", async () => {
    const file = join(tempDir(), "job.yaml");
    writeFileSync(
      file,
      readFileSync(join(JOBS, "tf-ps-job.yaml"), "utf8")
        .replace("  ps:\n    count: 1\n    cpu: 2\n    mem: 4\n    gpu: 0\n", "")
        .replace("path: s3://team-bucket/data/train.zip", "path: ./data/train.zip"),
    );
    const r = await runCli(["render", "-f", file, "--backend", "aves2"], { env: NO_AVES2 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: ${file}:6: resource_spec: TF_PS needs a ps role (add ps: {count: 1, cpu: 4, mem: 8, gpu: 0})`,
    ]);
    writeFileSync(file, readFileSync(join(JOBS, "tf-ps-job.yaml"), "utf8").replace("path: s3://team-bucket/data/train.zip", "path: ./data/train.zip"));
    const r2 = await runCli(["render", "-f", file], { env: NO_AVES2 });
    expect(r2.stderr.trim()).toBe(
      `error: ${file}:36: running_spec.input_args[0].data_conf.storage_conf.path: "./data/train.zip" is not an s3:// URI (OSSFile paths look like s3://bucket/prefix/)`,
    );
  });

  it("a missing job file, and neither a component nor -f", async () => {
    const r = await runCli(["render", "-f", "nope.yaml"]);
    expect(r.stderr).toBe("error: -f nope.yaml: file not found\n");
    const r2 = await runCli(["render"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/^error: name a component, or give an AVES2 job file with -f job\.yaml/);
  });
});
