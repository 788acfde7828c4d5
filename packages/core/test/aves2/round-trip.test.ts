import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { formatJobFile } from "../../src/aves2/format.js";
import { parseJobFile } from "../../src/aves2/parse.js";
import { specToJobFile } from "../../src/aves2/to-job.js";
import type { RunRequest } from "../../src/run/request.js";
import { resolveRun } from "../../src/run/spec.js";
import { distDemo, fixed, mobilenet, problemsOf, readFixture, specOf } from "./helpers.js";

/** Same keys, same values, same order: compared as JSON text. */
const asText = (v: unknown) => JSON.stringify(v, null, 1);

describe("job file → RunSpec → job file", () => {
  for (const name of ["seed-job.yaml", "tf-ps-job.yaml", "horovod-job.yaml"]) {
    it(`round-trips ${name} without loss`, () => {
      const text = readFixture(name);
      const { spec } = specOf(text, name);
      const again = specToJobFile(spec);
      expect(asText(again)).toBe(asText(parseJobFile(text, name).job));
      // and its YAML reads back to the same job
      expect(asText(parseJobFile(formatJobFile(again), name).job)).toBe(asText(again));
    });
  }

  it("matches the seed to mobilenet-v2 by its command, params typed and marked as given", () => {
    const { spec, matchedBy } = specOf(readFixture("seed-job.yaml"), "seed-job.yaml");
    expect(matchedBy).toBe("command");
    expect(spec.component.name).toBe("mobilenet-v2");
    expect(spec.params.filter((p) => p.from !== "default").map((p) => [p.name, p.value, p.from])).toEqual([
      ["model_name", "mobilenet_v2_14", "seed-job.yaml"],
      ["num_class", 37, "seed-job.yaml"],
      ["batch_size", 4, "seed-job.yaml"],
      ["epochs", 1, "seed-job.yaml"],
    ]);
    expect(spec.params.find((p) => p.name === "lr")).toEqual({ name: "lr", value: 0.003, from: "default" });
    expect(spec.code).toEqual({ scheme: "s3", bucket: "aves2", key: "opensource/components/mobilenet-v2-14/" });
    expect(spec.resources).toEqual({ worker: { count: 1, cpu: 4, mem: 2, gpu: 1 } });
    expect(spec.distribute).toBe("none");
    expect(spec.image).toBe("ai-image.jd.com/jupyter/tensorflow:1.12-nb5.7-ubuntu16.04-py3.6");
    expect(spec.aves2).toEqual({ debug: true });
  });

  it("reproduces the seed from flags: only the params that were set are listed", () => {
    const request: RunRequest = {
      component: "mobilenet-v2",
      params: [{ source: "--set", values: { model_name: "mobilenet_v2_14", num_class: "37", batch_size: "4", epochs: "1" } }],
      inputs: {
        train_data_dir: "s3://aves2/opensource/datasets/classification/pettfrecord/train/",
        validation_data_dir: "s3://aves2/opensource/datasets/classification/pettfrecord/test/",
        pre_trained_model_ckpt_path: "s3://aves2/opensource/pretrainedmodels/image_classification/",
      },
      outputs: { result_dir: "s3://aves2/opensource/test/mobilenet-v2/out/", checkpoint_dir: "s3://aves2/opensource/test/mobilenet-v2/checkpoint/" },
      code: "s3://aves2/opensource/components/mobilenet-v2-14/",
      resources: { worker: { mem: 2, gpu: 1 } },
      name: "mobilenet-v2 image classification",
      image: "ai-image.jd.com/jupyter/tensorflow:1.12-nb5.7-ubuntu16.04-py3.6",
      aves2: { debug: true },
      backend: "aves2",
      cwd: "/work",
    };
    const job = specToJobFile(resolveRun(mobilenet, request, fixed));
    expect(asText(job)).toBe(asText(load(readFixture("seed-job.yaml"))));
  });

  it("keeps a `component:` key (with its version), namespace, need_report, envs and log_dir", () => {
    const text = readFixture("tf-ps-job.yaml").replace("job_name:", "component: dist-demo@0.0.0\nneed_report: true\njob_name:");
    const { spec, matchedBy } = specOf(text);
    expect(matchedBy).toBe("component key");
    expect(spec.namespace).toBe("team-a");
    expect(spec.env).toEqual([{ name: "TF_CPP_MIN_LOG_LEVEL", value: "2" }]);
    expect(spec.logDir).toEqual({ scheme: "s3", bucket: "team-bucket", key: "logs/run-1/" });
    expect(spec.resources.ps).toEqual({ count: 1, cpu: 2, mem: 4, gpu: 0 });
    const again = specToJobFile(spec);
    expect(again.component).toBe("dist-demo@0.0.0");
    expect(again.need_report).toBe(true);
    expect(asText(again)).toBe(asText(parseJobFile(text, "job.yaml").job));
  });

  it("runs a job with no matching component as an ad-hoc command, arg types from its values", () => {
    const { spec, matchedBy } = specOf(readFixture("horovod-job.yaml"));
    expect(matchedBy).toBe("ad hoc");
    expect(spec.component.adHoc).toBe(true);
    expect(spec.component.name).toBe("horovod-on-shared-storage");
    expect(spec.runId).toBe("horovod-on-shared-storage-20260102-030405-ssss");
    expect(spec.component.command).toEqual(["python3", "hvd_train.py", "--fp16"]);
    expect(spec.component.params.map((p) => [p.name, p.type])).toEqual([
      ["batch-size", "integer"],
      ["lr", "number"],
      ["warmup", "boolean"],
      ["tag", "string"],
    ]);
    expect(spec.inputs.map((i) => [i.name, i.uri])).toEqual([
      ["train-data", { scheme: "pvc", claim: "data-claim", subPath: "imagenet/train/" }],
      ["val-data", { scheme: "hostpath", path: "/mnt/datasets/imagenet/val/" }],
      ["vocab", { scheme: "nfs", server: "nfs-1.example", path: "/export/shared/vocab/" }],
    ]);
    expect(spec.code).toEqual({ scheme: "pvc", claim: "code-claim", subPath: "projects/hvd/" });
    expect(spec.distribute).toBe("HOROVOD");
  });

  it("does not bind a component's default inputs the job file leaves out", () => {
    const text = readFixture("seed-job.yaml").replace(/ {4}- name: validation_data_dir\n(?: {6}.*\n){4}/, "");
    const { spec } = specOf(text);
    expect(spec.inputs.map((i) => i.name)).toEqual(["train_data_dir", "pre_trained_model_ckpt_path"]);
  });

  it("maps an NFSPath under a share mounted here to server:/export, as the AVES2 client does", () => {
    const text = readFixture("horovod-job.yaml").replace("nfs-1.example:/export/shared/vocab/", "/mnt/nfs/shared/vocab/");
    const { spec } = specOf(text, "job.yaml", { nfsMounts: () => [{ source: "nfs-1.example:/export", mountPoint: "/mnt/nfs" }] });
    expect(spec.inputs[2]!.uri).toEqual({ scheme: "nfs", server: "nfs-1.example", path: "/export/shared/vocab/" });
    expect(specToJobFile(spec).running_spec.input_args[2]!.data_conf.storage_conf.path).toBe("nfs-1.example:/export/shared/vocab/");
    expect(problemsOf(() => specOf(text))).toEqual([
      "job.yaml:44: running_spec.input_args[2].data_conf.storage_conf.path: /mnt/nfs/shared/vocab/ is not on an NFS share mounted here (write it as server:/export/path)",
    ]);
  });
});

describe("a job file that does not fit its component", () => {
  const seed = readFixture("seed-job.yaml");
  it("names each mismatch by key path and line", () => {
    const text = seed
      .replace("- name: batch_size\n      value: 4", "- name: batch_sise\n      value: 4")
      .replace("value: 37", "value: many")
      .replace("- name: pre_trained_model_ckpt_path", "- name: pretrained")
      .replace("path: s3://aves2/opensource/test/mobilenet-v2/out/", "path: /local/out/")
      .replace("storage_mode: OSSFile\n        storage_conf:\n          path: s3://aves2/opensource/datasets/classification/pettfrecord/test/", "storage_mode: HostPath\n        storage_conf:\n          path: relative/test/");
    expect(problemsOf(() => specOf(text, "seed.yaml"))).toEqual([
      'seed.yaml:39: running_spec.input_args[1].data_conf.storage_conf.path: "relative/test/" is not an absolute path (HostPath is a folder on the node, e.g. /data/train/)',
      'seed.yaml:50: running_spec.output_args[0].data_conf.storage_conf.path: "/local/out/" is not an s3:// URI (OSSFile paths look like s3://bucket/prefix/)',
    ]);
    const fixedPaths = text.replace("relative/test/", "/data/test/").replace("/local/out/", "s3://bkt/out/");
    expect(problemsOf(() => specOf(fixedPaths, "seed.yaml"))).toEqual([
      'seed.yaml:22: running_spec.normal_args[1].value: "many" is not an integer',
      'seed.yaml:23: running_spec.normal_args[2].name: mobilenet-v2 has no param "batch_sise" (did you mean "batch_size"?)',
      'seed.yaml:40: running_spec.input_args[2].name: mobilenet-v2 has no input "pretrained" (inputs are: train_data_dir, validation_data_dir, pre_trained_model_ckpt_path)',
    ]);
  });

  it("refuses a component: key whose command is not the job's", () => {
    const text = `component: dist-demo\n${seed}`;
    expect(problemsOf(() => specOf(text, "seed.yaml")).join("\n")).toMatch(
      /^seed\.yaml:18: running_spec\.cmd: "python3 model_train_new\.py" is not the command of dist-demo \(python3 train\.py\) \(write cmd: "python3 train\.py", or drop component: to run it as an ad-hoc command\)/,
    );
  });

  it("names an unknown component: key", () => {
    expect(problemsOf(() => specOf(`component: mobilenet-v3\n${seed}`, "seed.yaml"))).toEqual([
      'seed.yaml:1: component: unknown component "mobilenet-v3" (known components: mobilenet-v2, dist-demo)',
    ]);
  });

  it("needs source_code for an ad-hoc command, and the component's required inputs", () => {
    const adHoc = readFixture("horovod-job.yaml").replace(/ {2}source_code:\n(?: {4}.*\n){4}/, "");
    expect(problemsOf(() => specOf(adHoc))).toEqual([
      "job.yaml:11: running_spec.source_code: is required: this job runs no catalog component, so its code must come from storage (add source_code, or component: <name> to run a catalog component)",
    ]);
    const noTrain = seed.replace(/ {4}- name: train_data_dir\n(?: {6}.*\n){4}/, "");
    expect(problemsOf(() => specOf(noTrain, "seed.yaml"))).toEqual([
      "seed.yaml:29: running_spec.input_args: mobilenet-v2 needs the input train_data_dir (add - name: train_data_dir with its data_conf)",
    ]);
  });

  it("refuses a distribute type the component lacks", () => {
    const text = seed.replace("distribute_type: Null", "distribute_type: HOROVOD");
    expect(problemsOf(() => specOf(text, "seed.yaml"))).toEqual(["seed.yaml:3: distribute_type: mobilenet-v2 does not support HOROVOD (it supports: Null, PYTORCH_DDP)"]);
  });
});

describe("RunSpec → job file: what AVES2 cannot do", () => {
  const request = (over: Partial<RunRequest>): RunRequest => ({
    component: "dist-demo",
    params: [],
    inputs: { data_dir: "s3://bkt/data/" },
    outputs: { model_dir: "s3://bkt/model/" },
    code: "s3://bkt/code/",
    backend: "aves2",
    cwd: "/work",
    ...over,
  });
  it("takes the component's image by GPU count, unless --image", () => {
    expect(specToJobFile(resolveRun(distDemo, request({}), fixed)).image).toBe("tensorflow/tensorflow:2.15.0");
    expect(specToJobFile(resolveRun(distDemo, request({ resources: { worker: { gpu: 1 } } }), fixed)).image).toBe("tensorflow/tensorflow:2.15.0-gpu");
    expect(specToJobFile(resolveRun(distDemo, request({ image: "mine:1" }), fixed)).image).toBe("mine:1");
  });

  it("lists everything that stops it at once", () => {
    const spec = resolveRun(
      mobilenet,
      { component: "mobilenet-v2", params: [], inputs: {}, outputs: { result_dir: "/tmp/out" }, distribute: "PYTORCH_DDP", workers: 2, resources: { worker: { mem: 2.5 } }, backend: "aves2", cwd: "/work" },
      fixed,
    );
    const problems = problemsOf(() => specToJobFile(spec));
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "--distribute",
      "--code",
      "--input train_data_dir",
      "--input validation_data_dir",
      "--output result_dir",
      "--output checkpoint_dir",
      "--resource worker.mem",
    ]);
    expect(problems[0]).toBe("--distribute: PYTORCH_DDP is not supported by AVES2 (AVES2 runs none, HOROVOD or TF_PS; run PyTorch DDP with --backend local or kubernetes)");
    expect(problems[1]).toMatch(/^--code: .*components\/mobilenet-v2\/src is on this machine, where an AVES2 job cannot read it \(the component's code is bundled here; upload it with `component storage sync/);
    expect(problems[3]).toMatch(/it is the component's default; upload it .* or --input validation_data_dir= to leave it unbound\)$/);
  });

  it("leaves an optional input unbound with an empty --input", () => {
    const spec = resolveRun(distDemo, request({ inputs: { data_dir: "s3://bkt/data/", extra_dir: "" } }), fixed);
    expect(spec.inputs.map((i) => i.name)).toEqual(["data_dir"]);
    expect(() => resolveRun(distDemo, request({ inputs: { data_dir: "" } }), fixed)).toThrow(/--input data_dir: is empty/);
  });
});
