import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findPython, loadComponent, requestFromJobFile, resolveRun, toYaml } from "@aves2/core";
import { asDescribed, byName, REPO, tempDir } from "@aves2/testkit";
import { beforeAll, describe, expect, it } from "vitest";

const component = loadComponent(new URL("..", import.meta.url).pathname);
let python: string;
beforeAll(async () => {
  python = (await findPython(component.runtime.python!)).path;
});

function entry(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(python, ["test.py", ...args], { cwd: component.sourceDir, encoding: "utf8", env: { ...process.env, PYTHONPATH: join(REPO, "packages/python-runtime") } });
}

describe("detection-predict's manifest", () => {
  it("declares exactly the params test.py accepts, and its folders", () => {
    const described = (JSON.parse(entry(["--aves2-describe-args"]).stdout) as Record<string, unknown>[]).map(({ description: _d, ...rest }) => rest);
    expect(component.params.map(asDescribed).sort(byName)).toEqual(described.sort(byName));
    const help = entry(["--help"]).stdout;
    for (const io of [...component.inputs, ...component.outputs]) expect(help).toContain(`--${io.name}`);
  });

  it("keeps the upstream test_objd's entry and folders", () => {
    expect(component.command).toEqual(["python3", "test.py"]);
    expect(component.upstream).toBe("cv/object_detection/test_objd");
    expect(component.inputs.map((i) => i.name)).toEqual(["data_dir", "model_dir"]);
    expect(component.outputs.map((o) => o.name)).toEqual(["output_path"]);
    expect(component.sample?.uses).toEqual({ model_dir: "object-detection/output_path" });
  });

  it("an upstream test_objd job file runs this component's code", () => {
    const conf = (path: string) => ({ storage_mode: "OSSFile", storage_conf: { path } });
    const file = join(tempDir("aves2-val-objd-"), "job.yaml");
    writeFileSync(file, toYaml({
      job_name: "test objd", debug: false, distribute_type: null, image: "ai-image.jd.com/tensorflow:1.12-py3",
      resource_spec: { worker: { count: 1, cpu: 4, mem: 8, gpu: 1 } },
      running_spec: {
        source_code: conf("s3://aves2/opensource/components/cv/object_detection/test_objd/"), envs: [], cmd: "python3 test.py", normal_args: [{ name: "min_score_thresh", value: 0.5 }],
        input_args: ["data_dir", "model_dir"].map((name) => ({ name, data_conf: conf(`s3://aves2/data/${name}/`) })),
        output_args: [{ name: "output_path", data_conf: conf("s3://aves2/out/") }],
      },
    }));
    const { component: c, request, replacedCode } = requestFromJobFile(REPO, file, undefined, {}, REPO, "local");
    expect(c.name).toBe("detection-predict");
    expect(replacedCode?.upstream).toBe("cv/object_detection/test_objd");
    expect(resolveRun(c, request).code).toEqual({ scheme: "file", path: c.sourceDir });
  });
});
