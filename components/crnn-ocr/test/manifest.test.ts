import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findPython, loadComponent, requestFromJobFile, resolveRun, toYaml } from "@aves2/core";
import { asDescribed, byName, describedArgs, REPO, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
let python: string;
beforeAll(async () => {
  python = (await findPython(component.runtime.python!)).path;
});

const described = () => describedArgs(python, component);

describe("crnn-ocr's manifest", () => {
  it("declares exactly the params tools/train_shadownet.py accepts", () => {
    expect(component.params.map(asDescribed).sort(byName)).toEqual(described().sort(byName));
  });

  it("keeps the upstream's entry, argument names and config values", () => {
    expect(component.command).toEqual(["python3", "tools/train_shadownet.py"]);
    expect(component.upstream).toBe("cv/ocr_recognition/CRNN");
    expect(component.inputs.map((i) => i.name).sort()).toEqual(["char_dict_path", "dataset_dir", "ord_map_dict_path", "weights_path"]);
    expect(component.outputs.map((o) => o.name).sort()).toEqual(["model_save_dir", "tboard_save_dir"]);
    const defaults = Object.fromEntries(component.params.map((p) => [p.name, p.default]));
    // config/global_config.py: TRAIN.BATCH_SIZE, LR_DECAY_RATE, LR_DECAY_STEPS, ARCH.HIDDEN_UNITS/LAYERS, INPUT_SIZE, PATIENCE_EPOCHS, DISPLAY_STEP
    expect(defaults).toMatchObject({ batch_size: 32, decay_rate: 0.95, decay_steps: 1000, hidden_units: 256, hidden_layers: 2, image_height: 32, early_stop: 0, patience: 6, display_every_steps: 10, decode_outputs: false });
    expect(component.sample).toMatchObject({ metric: "sequence_accuracy" });
  });
});

describe("an upstream cv/ocr_recognition/CRNN training job file", () => {
  it("runs this component's code with its args", () => {
    const conf = (path: string) => ({ storage_mode: "OSSFile", storage_conf: { path } });
    const file = join(tempDir("aves2-crnn-job-"), "job.yaml");
    writeFileSync(file, toYaml({
      job_name: "crnn",
      debug: false,
      distribute_type: null,
      image: "ai-image.jd.com/tensorflow:1.12-py3",
      resource_spec: { worker: { count: 1, cpu: 4, mem: 8, gpu: 1 } },
      running_spec: {
        source_code: conf("s3://aves2/opensource/components/cv/ocr_recognition/CRNN/"),
        envs: [],
        cmd: "python3 tools/train_shadownet.py",
        normal_args: [{ name: "decode_outputs", value: "True" }],
        input_args: ["dataset_dir", "char_dict_path", "ord_map_dict_path"].map((name) => ({ name, data_conf: conf(`s3://aves2/data/crnn/${name}/`) })),
        output_args: ["model_save_dir", "tboard_save_dir"].map((name) => ({ name, data_conf: conf(`s3://aves2/out/${name}/`) })),
      },
    }));
    const { component: c, request, matchedBy, replacedCode } = requestFromJobFile(REPO, file, undefined, {}, REPO, "local");
    expect([c.name, matchedBy, replacedCode?.upstream]).toEqual(["crnn-ocr", "command", "cv/ocr_recognition/CRNN"]);
    const spec = resolveRun(c, request);
    expect(spec.code).toEqual({ scheme: "file", path: c.sourceDir });
    expect(spec.params.find((p) => p.name === "decode_outputs")?.value).toBe(true);
  });
});
