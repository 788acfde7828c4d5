import { join } from "node:path";
import { coerceParam, findPython, loadComponent, requestFromJobFile, resolveRun, toYaml, UserError } from "@aves2/core";
import { asDescribed, byName, describedArgs, REPO, tempDir } from "@aves2/testkit";
import { writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
let python: string;
beforeAll(async () => {
  python = (await findPython(component.runtime.python!)).path;
});

const described = () => describedArgs(python, component);

describe("image-classification's manifest", () => {
  it("declares exactly the params model_train.py accepts", () => {
    expect(component.params.map(asDescribed).sort(byName)).toEqual(described().sort(byName));
  });

  it("keeps the upstream's argument names and defaults", () => {
    const defaults = Object.fromEntries(component.params.map((p) => [p.name, p.default]));
    expect(defaults).toMatchObject({ model_name: "vgg_16", num_class: 37, batch_size: 32, epochs: 100, lr_decay: "exponential", decay_rate: 0.92, decay_epochs: 3, eval_every_epochs: 5, fine_tune: 1, early_stop: 1, display_every_steps: 50 });
    expect(component.command).toEqual(["python3", "model_train.py"]);
    expect(component.upstream).toBe("cv/image_classification");
    expect([...component.inputs.map((i) => i.name), ...component.outputs.map((o) => o.name)].sort()).toEqual(
      ["checkpoint_dir", "pre_trained_model_ckpt_path", "result_dir", "summary_dir", "train_data_dir", "validation_data_dir"],
    );
  });

  it("refuses NASNet before a run starts, listing the models it has", () => {
    const def = component.params.find((p) => p.name === "model_name")!;
    const r = coerceParam(def, "nasnet_large");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^"nasnet_large" is not one of vgg_16, resnet_v2_50, resnet_v2_101, inception_v4, .*vit_b_16$/);
  });
});

/** An AVES2 job file as written for the upstream component (its readme's arguments). */
function upstreamJob(args: Record<string, unknown>): string {
  const conf = (path: string) => ({ storage_mode: "OSSFile", storage_conf: { path } });
  const file = join(tempDir("aves2-ic-job-"), "job.yaml");
  writeFileSync(file, toYaml({
    job_name: "image classification",
    debug: false,
    distribute_type: null,
    image: "ai-image.jd.com/tensorflow:1.12-py3",
    resource_spec: { worker: { count: 1, cpu: 4, mem: 8, gpu: 1 } },
    running_spec: {
      source_code: conf("s3://aves2/opensource/components/cv/image_classification/"),
      envs: [],
      cmd: "python3 model_train.py",
      normal_args: Object.entries(args).map(([name, value]) => ({ name, value })),
      input_args: ["train_data_dir", "validation_data_dir", "pre_trained_model_ckpt_path"].map((name) => ({ name, data_conf: conf(`s3://aves2/data/pet/${name}/`) })),
      output_args: ["checkpoint_dir", "summary_dir", "result_dir"].map((name) => ({ name, data_conf: conf(`s3://aves2/out/${name}/`) })),
    },
  }));
  return file;
}

describe("an upstream cv/image_classification job file", () => {
  it("runs this component's code with its args unchanged", () => {
    const args = { model_name: "mobilenet_v2_14", num_class: 10, batch_size: 96, epochs: 100, lr_decay: "exponential_decay", decay_rate: 0.92, decay_epochs: 3, eval_every_epochs: 5, fine_tune: 1, early_stop: 1 };
    const { component: c, request, matchedBy, replacedCode } = requestFromJobFile(REPO, upstreamJob(args), undefined, {}, REPO, "local");
    expect([c.name, matchedBy]).toEqual(["image-classification", "command"]);
    expect(replacedCode?.upstream).toBe("cv/image_classification");
    const spec = resolveRun(c, request);
    expect(spec.code).toEqual({ scheme: "file", path: c.sourceDir });
    for (const [name, value] of Object.entries(args)) expect(spec.params.find((p) => p.name === name)?.value).toBe(value);
  });

  it("naming nasnet_large is refused with the supported names", () => {
    let error: unknown;
    try {
      requestFromJobFile(REPO, upstreamJob({ model_name: "nasnet_large" }), undefined, {}, REPO, "local");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).problems[0]).toMatchObject({ message: expect.stringMatching(/"nasnet_large" is not one of vgg_16, .*mobilenet_v2_14, .*vit_b_16/) });
  });
});
