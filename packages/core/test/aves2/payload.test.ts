import { describe, expect, it } from "vitest";
import { joinCommandLine, splitCommandLine } from "../../src/aves2/command-line.js";
import { splitArchivePath } from "../../src/aves2/data-conf.js";
import { parseJobFile } from "../../src/aves2/parse.js";
import { jobToPayload } from "../../src/aves2/payload.js";
import { readFixture } from "./helpers.js";

const s3 = { S3Endpoint: "http://s3.example:9000", S3AccessKeyId: "AKID", S3SecretAccessKey: "s3-secret" };
const payloadOf = (name: string, ctx: Parameters<typeof jobToPayload>[1] = { s3 }) => jobToPayload(parseJobFile(readFixture(name), name).job, ctx);

describe("job file → the JSON the AVES2 client posts", () => {
  it("single worker, OSSFile data: every key, in the client's order", () => {
    const p = payloadOf("seed-job.yaml");
    expect(Object.keys(p)).toEqual([
      "need_report", "name", "debug", "namespace", "image", "package_uri", "engine", "storage_mode", "storage_config",
      "is_distribute", "distribute_type", "resource_spec", "envs", "code_spec", "input_spec", "output_spec", "log_dir",
    ]);
    expect(p).toEqual({
      need_report: false,
      name: "mobilenet-v2 image classification",
      debug: true,
      namespace: "default",
      image: "ai-image.jd.com/jupyter/tensorflow:1.12-nb5.7-ubuntu16.04-py3.6",
      package_uri: "deprecated",
      engine: "deprecated",
      storage_mode: "OSSFile",
      storage_config: { mode: "OSSFile", config: s3 },
      is_distribute: false,
      distribute_type: null,
      resource_spec: {
        worker: {
          count: 1,
          cpu: 4,
          mem: "2Gi",
          gpu: 1,
          entry_point: "python3 model_train_new.py",
          args: [{ model_name: "mobilenet_v2_14" }, { num_class: 37 }, { batch_size: 4 }, { epochs: 1 }],
        },
      },
      envs: {},
      code_spec: { type: "OSSFile", path: "s3://aves2/opensource/components/mobilenet-v2-14/", filename: "" },
      input_spec: {
        train_data_dir: { type: "OSSFile", path: "s3://aves2/opensource/datasets/classification/pettfrecord/train/", filename: "" },
        validation_data_dir: { type: "OSSFile", path: "s3://aves2/opensource/datasets/classification/pettfrecord/test/", filename: "" },
        pre_trained_model_ckpt_path: { type: "OSSFile", path: "s3://aves2/opensource/pretrainedmodels/image_classification/", filename: "" },
      },
      output_spec: {
        result_dir: { type: "OSSFile", path: "s3://aves2/opensource/test/mobilenet-v2/out/", filename: "" },
        checkpoint_dir: { type: "OSSFile", path: "s3://aves2/opensource/test/mobilenet-v2/checkpoint/", filename: "" },
      },
      log_dir: {},
    });
  });

  it("TF_PS: ps and worker, each with the command and args; archives split; envs as a map; log_dir", () => {
    const p = payloadOf("tf-ps-job.yaml", { namespace: "from-config", s3 });
    expect(p.namespace).toBe("team-a"); // the job's own wins over the config's
    expect(p.is_distribute).toBe(true);
    expect(p.distribute_type).toBe("TF_PS");
    expect(p.resource_spec).toEqual({
      ps: { count: 1, cpu: 2, mem: "4Gi", gpu: 0, entry_point: "python3 train.py", args: [{ steps: 5000 }, { opt: "sgd" }] },
      worker: { count: 3, cpu: 8, mem: "16Gi", gpu: 1, entry_point: "python3 train.py", args: [{ steps: 5000 }, { opt: "sgd" }] },
    });
    expect(p.envs).toEqual({ TF_CPP_MIN_LOG_LEVEL: "2" });
    expect(p.code_spec).toEqual({ type: "OSSFile", path: "s3://team-bucket/code/", filename: "dist-demo.tar.gz" });
    expect(p.input_spec).toEqual({ data_dir: { type: "OSSFile", path: "s3://team-bucket/data/", filename: "train.zip" } });
    expect(p.log_dir).toEqual({ type: "OSSFile", path: "s3://team-bucket/logs/run-1/", filename: "" });
  });

  it("HOROVOD with K8SPVC, HostPath and NFSPath data", () => {
    const p = payloadOf("horovod-job.yaml", { namespace: "from-config", s3: null });
    expect(p.namespace).toBe("from-config");
    expect(p.storage_config).toEqual({ mode: "OSSFile", config: null });
    expect(p.is_distribute).toBe(true);
    expect(p.distribute_type).toBe("HOROVOD");
    expect(p.resource_spec).toEqual({
      worker: {
        count: 4,
        cpu: 8,
        mem: "32Gi",
        gpu: 2,
        entry_point: "python3 hvd_train.py --fp16",
        args: [{ "batch-size": 64 }, { lr: 0.001 }, { warmup: true }, { tag: "007" }],
      },
    });
    expect(p.code_spec).toEqual({ type: "K8SPVC", path: "projects/hvd/", filename: "", pvc: "code-claim" });
    expect(p.input_spec).toEqual({
      "train-data": { type: "K8SPVC", path: "imagenet/train/", filename: "", pvc: "data-claim" },
      "val-data": { type: "HostPath", path: "/mnt/datasets/imagenet/val/", filename: "" },
      vocab: { type: "NFSPath", path: "nfs-1.example:/export/shared/vocab/", filename: "" },
    });
    expect(p.output_spec).toEqual({ "output-dir": { type: "HostPath", path: "/mnt/results/hvd/", filename: "" } });
  });

  it("splits archive paths as the client does", () => {
    expect(splitArchivePath("s3://b/code/src.zip")).toEqual({ path: "s3://b/code/", filename: "src.zip" });
    expect(splitArchivePath("s3://b/code/src.tar")).toEqual({ path: "s3://b/code/", filename: "src.tar" });
    expect(splitArchivePath("s3://b/code/src.tgz")).toEqual({ path: "s3://b/code/", filename: "src.tgz" });
    expect(splitArchivePath("/data/x.tar.gz")).toEqual({ path: "/data/", filename: "x.tar.gz" });
    expect(splitArchivePath("s3://b/code/")).toEqual({ path: "s3://b/code/", filename: "" });
    expect(splitArchivePath("s3://b/code.d/v1")).toEqual({ path: "s3://b/code.d/v1", filename: "" });
  });
});

describe("cmd ↔ argv", () => {
  it("splits as a shell reads words and joins back", () => {
    expect(splitCommandLine("python3  main.py --tag 'a b' \"c\\\"d\" e\\ f")).toEqual(["python3", "main.py", "--tag", "a b", 'c"d', "e f"]);
    expect(joinCommandLine(["python3", "main.py", "--tag", "a b", "it's", ""])).toBe("python3 main.py --tag 'a b' 'it'\\''s' ''");
    for (const argv of [["python3", "model_train_new.py"], ["bash", "-c", "echo $HOME && ls"], ["x", "it's", "a\tb"]]) {
      expect(splitCommandLine(joinCommandLine(argv))).toEqual(argv);
    }
    expect(() => splitCommandLine("python3 'unclosed")).toThrow("has an unclosed ' quote");
  });
});
