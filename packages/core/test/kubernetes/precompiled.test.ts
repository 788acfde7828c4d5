import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";

// the module `pnpm build` generates (turbo builds before testing); the CLI uses it instead of compiling the CRDs
const file = fileURLToPath(new URL("../../dist/backends/kubernetes/crd-validators.cjs", import.meta.url));
const v = createRequire(import.meta.url)(file) as Record<"TFJob" | "PyTorchJob" | "MPIJob" | "PodTemplate", ValidateFunction>;

const container = { name: "train", image: "img", resources: { limits: { cpu: "500m", memory: "1Gi" } } };
const template = { spec: { containers: [container] } };

describe("precompiled CRD validators", () => {
  it("exist after a build, for every Kubeflow kind and the pod template", () => {
    expect(existsSync(file)).toBe(true);
    expect(Object.keys(v).sort()).toEqual(["MPIJob", "PodTemplate", "PyTorchJob", "TFJob"]);
  });

  it("accept a valid object and name the field of an invalid one", () => {
    const tfjob = { apiVersion: "kubeflow.org/v1", kind: "TFJob", metadata: { name: "x" }, spec: { tfReplicaSpecs: { Worker: { replicas: 2, template } } } };
    expect(v.TFJob(tfjob)).toBe(true);
    const bad = { ...tfjob, spec: { tfReplicaSpecs: { Worker: { replicas: "two", template } } } };
    expect(v.TFJob(bad)).toBe(false);
    expect(v.TFJob.errors?.map((e) => e.instancePath)).toContain("/spec/tfReplicaSpecs/Worker/replicas");
    expect(v.MPIJob({ spec: { slotsPerWorker: "one", mpiReplicaSpecs: {} } })).toBe(false);
  });

  it("check pod templates as the API server would (cpu: 0.5 is not int-or-string)", () => {
    expect(v.PodTemplate(template)).toBe(true);
    expect(v.PodTemplate({ spec: { containers: [{ ...container, resources: { limits: { cpu: 0.5 } } }] } })).toBe(false);
    expect(v.PodTemplate({ spec: { containers: [{ image: "img" }] } })).toBe(false);
  });
});
