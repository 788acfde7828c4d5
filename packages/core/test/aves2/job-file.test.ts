import { describe, expect, it } from "vitest";
import { parseJobFile } from "../../src/aves2/parse.js";
import { problemsOf, readFixture } from "./helpers.js";

describe("reading an AVES2 job file", () => {
  it("reads the seed's job file as it is (Null, comments, quoted name)", () => {
    const { job } = parseJobFile(readFixture("seed-job.yaml"), "seed-job.yaml");
    expect(job.job_name).toBe("mobilenet-v2 image classification");
    expect(job.debug).toBe(true);
    expect(job.distribute_type).toBeNull();
    expect(job.resource_spec).toEqual({ worker: { count: 1, cpu: 4, mem: 2, gpu: 1 } });
    expect(job.running_spec.cmd).toBe("python3 model_train_new.py");
    expect(job.running_spec.normal_args.map((a) => [a.name, a.value])).toEqual([
      ["model_name", "mobilenet_v2_14"],
      ["num_class", 37],
      ["batch_size", 4],
      ["epochs", 1],
    ]);
    expect(job.running_spec.input_args.map((a) => a.name)).toEqual(["train_data_dir", "validation_data_dir", "pre_trained_model_ckpt_path"]);
    expect(job.running_spec.output_args[1]).toEqual({
      name: "checkpoint_dir",
      data_conf: { storage_mode: "OSSFile", storage_conf: { path: "s3://aves2/opensource/test/mobilenet-v2/checkpoint/" } },
    });
  });

  it("names the key path and line of every problem, all at once", () => {
    const text = [
      "job_name: broken", // 1
      "debug: maybe", // 2
      "distribute_type: Null", // 3
      "image: img:1", // 4
      "resource_spec:", // 5
      "  worker: {count: 0, cpu: 4, mem: 1.5, gpu: 0}", // 6
      "running_spec:", // 7
      "  source_code: {storage_mode: OSSFile, storage_conf: {path: s3://b/code/}}", // 8
      "  cmd: python3 x.py", // 9
      "  input_args:", // 10
      "    - name: a", // 11
      "      data_conf: {storage_mode: OSSFile, storage_conf: {path: s3://bkt/a/}}", // 12
      "    - name: b", // 13
      "      data_conf:", // 14
      "        storage_mode: OSSFiles", // 15
      "        storage_conf: {}", // 16
      "  output_args: []", // 17
    ].join("\n");
    expect(problemsOf(() => parseJobFile(text, "job.yaml"))).toEqual([
      "job.yaml:2: debug: must be true or false, not string \"maybe\"",
      "job.yaml:6: resource_spec.worker.count: 0 is not a positive whole number",
      "job.yaml:6: resource_spec.worker.mem: 1.5 is not a whole number of GiB (AVES2 takes mem in GiB)",
      'job.yaml:15: running_spec.input_args[1].data_conf.storage_mode: "OSSFiles" is not a storage mode (did you mean "OSSFile"?)',
      "job.yaml:16: running_spec.input_args[1].data_conf.storage_conf.path: is required",
    ]);
  });

  const base = (over: string) =>
    `job_name: j\nimage: img:1\n${over}\nrunning_spec:\n  source_code: {storage_mode: OSSFile, storage_conf: {path: s3://bkt/c/}}\n  cmd: python3 x.py\n`;
  const cases: [string, string, RegExp][] = [
    ["TF_PS without a ps role", "distribute_type: TF_PS\nresource_spec:\n  worker: {count: 2, cpu: 1, mem: 1, gpu: 0}", /^job\.yaml:4: resource_spec: TF_PS needs a ps role \(add ps: /],
    ["an unknown role", "resource_spec:\n  worker: {count: 1, cpu: 1, mem: 1, gpu: 0}\n  chief: {count: 1, cpu: 1, mem: 1, gpu: 0}", /^job\.yaml:5: resource_spec\.chief: unknown role "chief" \(AVES2 takes worker \(and ps with TF_PS\)\)$/],
    ["ps without TF_PS", "distribute_type: HOROVOD\nresource_spec:\n  worker: {count: 2, cpu: 1, mem: 1, gpu: 0}\n  ps: {count: 1, cpu: 1, mem: 1, gpu: 0}", /resource_spec\.ps: the ps role is only for TF_PS, not HOROVOD/],
    ["PYTORCH_DDP", "distribute_type: PYTORCH_DDP\nresource_spec:\n  worker: {count: 2, cpu: 1, mem: 1, gpu: 0}", /^job\.yaml:3: distribute_type: PYTORCH_DDP is not supported by AVES2 \(AVES2 runs Null/],
    ["an unknown distribute type", "distribute_type: MPI_X\nresource_spec:\n  worker: {count: 1, cpu: 1, mem: 1, gpu: 0}", /distribute_type: "MPI_X" is not a distribute type \(Null, HOROVOD or TF_PS\)/],
    ["a misspelled key", "resource_specs:\n  worker: {count: 1, cpu: 1, mem: 1, gpu: 0}", /resource_specs: is not a key of an AVES2 job file \(did you mean "resource_spec"\?\)/],
    ["no resources", "", /resource_spec: is required/],
  ];
  for (const [what, over, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(problemsOf(() => parseJobFile(base(over), "job.yaml")).join("\n")).toMatch(message);
    });
  }

  it("takes the client's `mpi` as HOROVOD and an empty log_dir as none", () => {
    const { job } = parseJobFile(base("distribute_type: mpi\nresource_spec:\n  worker: {count: 2, cpu: 1, mem: 1}").replace("  cmd:", "  log_dir: {}\n  cmd:"), "job.yaml");
    expect(job.distribute_type).toBe("HOROVOD");
    expect(job.resource_spec.worker.gpu).toBe(0);
    expect(job.running_spec.log_dir).toBeUndefined();
  });

  it("needs the claim of K8SPVC data and refuses pvc elsewhere", () => {
    const text = base("resource_spec:\n  worker: {count: 1, cpu: 1, mem: 1, gpu: 0}").replace(
      "  cmd:",
      "  input_args:\n    - {name: a, data_conf: {storage_mode: K8SPVC, storage_conf: {path: x/}}}\n    - {name: b, data_conf: {storage_mode: HostPath, storage_conf: {path: /x, pvc: c}}}\n  cmd:",
    );
    expect(problemsOf(() => parseJobFile(text, "job.yaml"))).toEqual([
      "job.yaml:8: running_spec.input_args[0].data_conf.storage_conf.pvc: K8SPVC needs the claim's name (add pvc: <claim name>)",
      "job.yaml:9: running_spec.input_args[1].data_conf.storage_conf.pvc: applies to K8SPVC, not HostPath",
    ]);
  });

  it("refuses a value-less arg and duplicate names", () => {
    const text = base("resource_spec:\n  worker: {count: 1, cpu: 1, mem: 1, gpu: 0}").replace(
      "  cmd:",
      "  normal_args:\n    - name: lr\n    - {name: lr, value: 1}\n  cmd:",
    );
    expect(problemsOf(() => parseJobFile(text, "job.yaml"))).toEqual([
      "job.yaml:8: running_spec.normal_args[0].value: is missing",
      'job.yaml:9: running_spec.normal_args[1].name: "lr" is given twice',
    ]);
  });

  it("is not a mapping: says what it should be", () => {
    expect(problemsOf(() => parseJobFile("- a\n- b\n", "job.yaml"))).toEqual(["job.yaml:1: must be a YAML mapping (job_name, image, resource_spec, running_spec, ...)"]);
  });
});
