import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { coerceParam, findPython, loadComponent, requestFromJobFile, resolveRun, toYaml } from "@aves2/core";
import { asDescribed, byName, describedArgs, REPO, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
let python: string;
beforeAll(async () => {
  python = (await findPython(component.runtime.python!)).path;
});

const described = () => describedArgs(python, component);

describe("object-detection's manifest", () => {
  it("declares exactly the params model_main.py accepts", () => {
    expect(component.params.map(asDescribed).sort(byName)).toEqual(described().sort(byName));
  });

  it("keeps the upstream's argument names, defaults and folders", () => {
    const defaults = Object.fromEntries(component.params.map((p) => [p.name, p.default]));
    // cmd.sh's args (ssd_mobilenetv2; retinanet_mobilenetv2 adds alpha_fr, gamma_fr), cal_params.py's defaults and schedule
    expect(defaults).toMatchObject({ epochs: 30, batch_size: 24, alpha_fr: 0.75, gamma_fr: 2, lr_decay: "exponential", decay_rate: 0.9, decay_epochs: 1 });
    expect(component.params.map((p) => p.name)).toEqual(expect.arrayContaining(["learning_rate", "epochs", "batch_size", "alpha_fr", "gamma_fr"]));
    expect(component.command).toEqual(["python3", "model_main.py"]);
    expect(component.upstream).toBe("cv/object_detection/ssd_mobilenetv2");
    expect(component.inputs.map((i) => i.name)).toEqual(["tfrecords_dir", "pretrainmodel_dir"]);
    expect(component.outputs.map((o) => o.name)).toEqual(["output_path"]);
  });

  it("refuses a detector torchvision lacks before a run starts, listing the ones it has", () => {
    const def = component.params.find((p) => p.name === "model_name")!;
    const r = coerceParam(def, "rfcn_resnet101");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^"rfcn_resnet101" is not one of ssdlite320_mobilenet_v3_large, ssd300_vgg16, retinanet_resnet50_fpn, fasterrcnn_mobilenet_v3_large_fpn, fasterrcnn_resnet50_fpn$/);
  });
});

/** An AVES2 job file as written for the upstream component (its run.sh's arguments). */
function upstreamJob(folder: string, args: Record<string, unknown>): string {
  const conf = (path: string) => ({ storage_mode: "OSSFile", storage_conf: { path } });
  const file = join(tempDir("aves2-od-job-"), "job.yaml");
  writeFileSync(file, toYaml({
    job_name: "object detection",
    debug: false,
    distribute_type: null,
    image: "ai-image.jd.com/tensorflow:1.12-py3",
    resource_spec: { worker: { count: 1, cpu: 4, mem: 8, gpu: 1 } },
    running_spec: {
      source_code: conf(`s3://aves2/opensource/components/cv/object_detection/${folder}/`),
      envs: [],
      cmd: "python3 model_main.py",
      normal_args: Object.entries(args).map(([name, value]) => ({ name, value })),
      input_args: ["tfrecords_dir", "pretrainmodel_dir"].map((name) => ({ name, data_conf: conf(`s3://aves2/data/voc/${name}/`) })),
      output_args: [{ name: "output_path", data_conf: conf("s3://aves2/out/output_path/") }],
    },
  }));
  return file;
}

describe("an upstream cv/object_detection job file", () => {
  it("ssd_mobilenetv2's runs this component's code with its args unchanged", () => {
    const args = { learning_rate: 0.0001, epochs: 1, batch_size: 24 };
    const { component: c, request, replacedCode } = requestFromJobFile(REPO, upstreamJob("ssd_mobilenetv2", args), undefined, {}, REPO, "local");
    expect(c.name).toBe("object-detection");
    expect(replacedCode?.upstream).toBe("cv/object_detection/ssd_mobilenetv2");
    const spec = resolveRun(c, request);
    expect(spec.code).toEqual({ scheme: "file", path: c.sourceDir });
    for (const [name, value] of Object.entries(args)) expect(spec.params.find((p) => p.name === name)?.value).toBe(value);
  });

  it("retinanet_mobilenetv2's focal-loss args are this component's params", () => {
    const args = { learning_rate: 0.0001, epochs: 1, batch_size: 24, alpha_fr: 0.75, gamma_fr: 2.0, model_name: "retinanet_resnet50_fpn" };
    const { component: c, request } = requestFromJobFile(REPO, upstreamJob("retinanet_mobilenetv2", args), undefined, {}, REPO, "local");
    expect(c.name).toBe("object-detection");
    const spec = resolveRun(c, request);
    for (const [name, value] of Object.entries(args)) expect(spec.params.find((p) => p.name === name)?.value).toBe(value);
  });
});
