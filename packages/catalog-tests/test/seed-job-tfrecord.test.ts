import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, runCli, type S3TestServer, startS3Server, tempDir } from "@aves2/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The seed's AVES2 job file (../shared/seeds), unchanged, against data in the
 * upstream image-classification layout: 37 classes of TFRecord shards
 * (train-*-of-*, validation-*-of-*, labels 1-based, num_examples.json) at
 * the seed's own s3:// paths, our mobilenet-v2 code where the seed's
 * source_code points, and a PyTorch checkpoint as its pre-trained model.
 */
const SEED = join(REPO, "packages/core/test/aves2/fixtures/seed-job.yaml");
const PYTHON = "/usr/bin/python3";
const PETS = "s3://aves2/opensource/datasets/classification/pettfrecord";

let s3: S3TestServer;
let env: Record<string, string>;

function python(args: string[]): void {
  const r = spawnSync(PYTHON, args, { cwd: REPO, encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
  if (r.status !== 0) throw new Error(`python ${args.join(" ")} failed: ${r.stderr}`);
}

async function sync(from: string, to: string): Promise<void> {
  const r = await runCli(["storage", "sync", from, to], { env });
  if (r.code !== 0) throw new Error(`storage sync ${from} ${to}: ${r.stderr}`);
}

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ["aves2"] });
  env = { ...s3.env(), AVES2_RUNS_DIR: tempDir("aves2-seed-runs-"), AVES2_CACHE_DIR: tempDir("aves2-seed-cache-"), CI: "1" };
  const data = tempDir("aves2-pets-");
  python(["scripts/make-tfrecord-sample.py", "--out", data, "--classes", "37", "--per-class", "4", "--image-size", "64", "--shards", "2", "--label-base", "1", "--seed", "0"]);
  const pretrained = tempDir("aves2-pretrained-");
  // the seed's model, mobilenet_v2_14, as an ImageNet-shaped PyTorch checkpoint (random weights: nothing is downloaded)
  python(["-c", `import torch, torchvision; torch.save(torchvision.models.mobilenet_v2(weights=None, width_mult=1.4, num_classes=1001).state_dict(), "${pretrained}/mobilenet_v2_1.4_224.pth")`]);
  await Promise.all([
    sync(join(data, "train"), `${PETS}/train/`),
    sync(join(data, "validation"), `${PETS}/test/`),
    sync(pretrained, "s3://aves2/opensource/pretrainedmodels/image_classification/"),
    // where the seed's source_code points: our component's code, as a publish of it would put it
    sync(join(REPO, "components/mobilenet-v2/src"), "s3://aves2/opensource/components/mobilenet-v2-14/"),
  ]);
}, 180_000);

afterAll(async () => {
  await s3?.stop();
});

describe("the seed job file on its TFRecord data", () => {
  it("runs end to end on the local backend: reads the shards without TensorFlow and writes the upstream outputs", async () => {
    const r = await runCli(["run", "-f", SEED, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout);
    expect(record).toMatchObject({ backend: "local", state: "succeeded", component: { name: "mobilenet-v2" } });
    expect(record.metrics.summary.top1).toBeGreaterThanOrEqual(0);
    // the reader says what it found: TFRecord shards, 37 classes, labels counted from 1
    expect(r.stderr).toMatch(/TFRecord.*37 classes.*1-based/);
    // what the seed's outputs hold in S3, fetched back with the staging engine
    const out = tempDir("aves2-seed-out-");
    await sync("s3://aves2/opensource/test/mobilenet-v2/out/", join(out, "result"));
    await sync("s3://aves2/opensource/test/mobilenet-v2/checkpoint/", join(out, "checkpoint"));
    const results = readdirSync(join(out, "result"));
    for (const f of ["result.json", "classification_report.txt", "correct.txt", "error.txt", "confusion_matrix.csv", "_SUCCESS"]) expect(results).toContain(f);
    const result = JSON.parse(readFileSync(join(out, "result", "result.json"), "utf8"));
    for (const k of ["accuracy", "precision", "recall", "f1", "auc_micro"]) expect(typeof result[k], k).toBe("number");
    expect(readdirSync(join(out, "checkpoint"))).toEqual(expect.arrayContaining(["best.pt", "last.pt"]));
  }, 300_000);
});
