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

describe("ocr-predict's manifest", () => {
  it("declares exactly the params tools/test_shadownet.py accepts", () => {
    expect(component.params.map(asDescribed).sort(byName)).toEqual(described().sort(byName));
  });

  it("keeps the upstream's entry and argument names, and chains on crnn-ocr's sample", () => {
    expect(component.command).toEqual(["python3", "tools/test_shadownet.py"]);
    expect(component.upstream).toBe("cv/ocr_recognition/CRNN");
    expect(component.inputs.map((i) => i.name).sort()).toEqual(["char_dict_path", "image_path", "model_save_dir", "ord_map_dict_path"]);
    expect(component.outputs.map((o) => o.name)).toEqual(["result_dir"]);
    expect(Object.fromEntries(component.params.map((p) => [p.name, p.default]))).toEqual({ batch_size: 32 });
    expect(component.sample).toMatchObject({ metric: "sequence_accuracy", uses: { model_save_dir: "crnn-ocr/model_save_dir" } });
  });
});

describe("an upstream cv/ocr_recognition/CRNN job file running tools/test_shadownet.py", () => {
  it("picks ocr-predict among the three CRNN components by its command", () => {
    const conf = (path: string) => ({ storage_mode: "OSSFile", storage_conf: { path } });
    const file = join(tempDir("aves2-crnn-job-"), "job.yaml");
    writeFileSync(file, toYaml({
      job_name: "crnn",
      debug: false,
      distribute_type: null,
      image: "ai-image.jd.com/tensorflow:1.12-py3",
      resource_spec: { worker: { count: 1, cpu: 2, mem: 4, gpu: 0 } },
      running_spec: {
        source_code: conf("s3://aves2/opensource/components/cv/ocr_recognition/CRNN/"),
        envs: [],
        cmd: "python3 tools/test_shadownet.py",
        normal_args: [],
        input_args: ["char_dict_path", "image_path", "model_save_dir", "ord_map_dict_path"].map((name) => ({ name, data_conf: conf(`s3://aves2/data/crnn/${name}/`) })),
        output_args: [],
      },
    }));
    const { component: c, request, matchedBy, replacedCode } = requestFromJobFile(REPO, file, undefined, {}, REPO, "local");
    expect([c.name, matchedBy, replacedCode?.upstream]).toEqual(["ocr-predict", "command", "cv/ocr_recognition/CRNN"]);
    expect(resolveRun(c, request).code).toEqual({ scheme: "file", path: c.sourceDir });
  });
});
