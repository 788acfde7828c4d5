import { readdirSync, readFileSync } from "node:fs";
import { loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdmissionCause, type K8sObj, type K8sTestServer, kubernetesAdmission, startK8sTestServer } from "../src/index.js";

/**
 * The test server's admission judges objects from the Kubernetes and Kubeflow
 * schemas and rules alone. The fixtures are the objects the backend renders
 * today (its golden files); each refusal changes one thing in one of them.
 */

const GOLDEN = new URL("../../core/test/kubernetes/golden/", import.meta.url);
const GOLDEN_FILES = readdirSync(GOLDEN).filter((f) => f.endsWith(".yaml"));

function documents(file: string): K8sObj[] {
  return loadAll(readFileSync(new URL(file, GOLDEN), "utf8")).filter((d) => d && typeof d === "object") as K8sObj[];
}

/** A fresh copy of the first object of a kind in a golden file. */
// biome-ignore lint/suspicious/noExplicitAny: each test breaks one field of it on purpose
function golden(file: string, kind: string): any {
  const o = documents(file).find((d) => d.kind === kind);
  if (!o) throw new Error(`${file} has no ${kind}`);
  return o;
}

const job = () => golden("none.yaml", "Job");
const pytorch = () => golden("pytorch-ddp-kubeflow.yaml", "PyTorchJob");
const mpi = () => golden("horovod-kubeflow.yaml", "MPIJob");
const tf = () => golden("tf-ps-kubeflow.yaml", "TFJob");
const service = () => golden("pytorch-ddp-native.yaml", "Service");

const named = (field: string, reason?: string) => expect.objectContaining({ field, ...(reason ? { reason } : {}) });

async function refused(o: unknown): Promise<AdmissionCause[]> {
  const causes = await kubernetesAdmission(o as K8sObj);
  expect(causes.length).toBeGreaterThan(0);
  return causes;
}

describe("k8s admission: what the backend renders today passes", () => {
  it("the golden files are there to judge", () => {
    expect(GOLDEN_FILES.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of GOLDEN_FILES) {
    it(`golden/${file}: every object is admitted`, async () => {
      const objects = documents(file);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) expect({ kind: o.kind, causes: await kubernetesAdmission(o) }).toEqual({ kind: o.kind, causes: [] });
    });
  }
});

describe("k8s admission: refusals name the field", () => {
  it('replicas "two" (the CRD says integer)', async () => {
    const o = pytorch();
    o.spec.pytorchReplicaSpecs.Worker.replicas = "two";
    expect(await refused(o)).toContainEqual(named("spec.pytorchReplicaSpecs[Worker].replicas", "FieldValueTypeInvalid"));
  });

  it("a container without a name, in a Job (the Kubernetes OpenAPI) and in a TFJob (the CRD)", async () => {
    const j = job();
    delete j.spec.template.spec.containers[0].name;
    expect(await refused(j)).toContainEqual({ reason: "FieldValueRequired", field: "spec.template.spec.containers[0].name", message: "Required value" });
    const t = tf();
    const type = Object.keys(t.spec.tfReplicaSpecs)[0] as string;
    delete t.spec.tfReplicaSpecs[type].template.spec.containers[0].name;
    expect(await refused(t)).toContainEqual(named(`spec.tfReplicaSpecs[${type}].template.spec.containers[0].name`, "FieldValueRequired"));
  });

  it("cpu 0.5 as a number, in a Kubeflow job (int-or-string: an integer or a string)", async () => {
    const o = pytorch();
    o.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].resources.limits.cpu = 0.5;
    const causes = await refused(o);
    expect(causes).toContainEqual(named("spec.pytorchReplicaSpecs[Master].template.spec.containers[0].resources.limits[cpu]", "FieldValueTypeInvalid"));
    expect(causes.find((c) => c.field.endsWith("limits[cpu]"))?.message).toContain("integer or string");
  });

  it("cpu 0.5 as a number in a core Job is a quantity (the API decodes numbers into quantities), but a request above its limit is not", async () => {
    const o = job();
    o.spec.template.spec.containers[0].resources = { limits: { cpu: 0.5 } };
    expect(await kubernetesAdmission(o)).toEqual([]);
    o.spec.template.spec.containers[0].resources.requests = { cpu: "1" };
    expect(await refused(o)).toContainEqual({ reason: "FieldValueInvalid", field: "spec.template.spec.containers[0].resources.requests[cpu]", message: 'Invalid value: "1": must be less than or equal to cpu limit of 0.5' });
  });

  it('memory "lots", in a Job and in an MPIJob', async () => {
    const j = job();
    j.spec.template.spec.containers[0].resources.limits.memory = "lots";
    expect(await refused(j)).toContainEqual(named("spec.template.spec.containers[0].resources.limits[memory]", "FieldValueInvalid"));
    const m = mpi();
    m.spec.mpiReplicaSpecs.Worker.template.spec.containers[0].resources = { limits: { memory: "lots" } };
    expect(await refused(m)).toContainEqual(named("spec.mpiReplicaSpecs[Worker].template.spec.containers[0].resources.limits[memory]", "FieldValueInvalid"));
  });

  it("a suffix kubernetes-models would take but the API does not (5h)", async () => {
    const j = job();
    j.spec.template.spec.containers[0].resources.limits.memory = "5h";
    expect(await refused(j)).toContainEqual(named("spec.template.spec.containers[0].resources.limits[memory]", "FieldValueInvalid"));
  });

  it("PyTorchJob nprocPerNode 4 (a number: the CRD says string)", async () => {
    const o = pytorch();
    o.spec.nprocPerNode = 4;
    expect(await refused(o)).toContainEqual(named("spec.nprocPerNode", "FieldValueTypeInvalid"));
  });

  it('MPIJob slotsPerWorker "one"', async () => {
    const o = mpi();
    o.spec.slotsPerWorker = "one";
    expect(await refused(o)).toContainEqual(named("spec.slotsPerWorker", "FieldValueTypeInvalid"));
  });

  it("a bad metadata.name: not DNS-1123 for a Job, not DNS-1035 for a Service or a PyTorchJob", async () => {
    const j = job();
    j.metadata.name = "Bad_Name";
    const causes = await refused(j);
    expect(causes).toContainEqual(named("metadata.name", "FieldValueInvalid"));
    expect(causes.find((c) => c.field === "metadata.name")?.message).toContain("RFC 1123 subdomain");
    const s = service();
    s.metadata.name = "9-workers";
    expect(await refused(s)).toContainEqual(named("metadata.name", "FieldValueInvalid"));
    const p = pytorch();
    p.metadata.name = "run.one";
    expect((await refused(p)).find((c) => c.field === "metadata.name")?.message).toContain("DNS-1035");
  });

  it("a Job whose name cannot be its pods' job-name label (over 63)", async () => {
    const j = job();
    j.metadata.name = `j${"x".repeat(63)}`;
    expect(await refused(j)).toContainEqual(named("spec.template.labels", "FieldValueInvalid"));
  });

  it("an unknown spec field: in a Job, in a PyTorchJob, in a container", async () => {
    const j = job();
    j.spec.backofLimit = 3;
    expect(await refused(j)).toContainEqual({ reason: "FieldValueInvalid", field: "spec.backofLimit", message: "field not declared in schema" });
    const p = pytorch();
    p.spec.runPolicyy = {};
    expect(await refused(p)).toContainEqual(named("spec.runPolicyy"));
    const c = job();
    c.spec.template.spec.containers[0].imagePullPolicyy = "Always";
    expect(await refused(c)).toContainEqual(named("spec.template.spec.containers[0].imagePullPolicyy"));
    const m = job();
    m.metadata.lables = { a: "b" };
    expect(await refused(m)).toContainEqual(named("metadata.lables"));
  });

  it("a wrong apiVersion for the kind, and a kind no API serves", async () => {
    const j = job();
    j.apiVersion = "batch/v1beta1";
    expect((await refused(j)).find((c) => c.field === "apiVersion")?.message).toContain('"batch/v1"');
    const p = pytorch();
    p.apiVersion = "kubeflow.org/v2beta1";
    expect((await refused(p)).find((c) => c.field === "apiVersion")?.message).toContain("kubeflow.org/v1");
    expect(await refused({ ...job(), kind: "CronJob" })).toEqual([named("kind", "FieldValueNotSupported")]);
  });

  it("container names are DNS-1123 labels, and unique in a pod", async () => {
    const j = job();
    j.spec.template.spec.containers[0].name = "Main_Container";
    expect(await refused(j)).toContainEqual(named("spec.template.spec.containers[0].name", "FieldValueInvalid"));
    const p = pytorch();
    const spec = p.spec.pytorchReplicaSpecs.Master.template.spec;
    spec.initContainers[0].name = spec.containers[0].name;
    expect(await refused(p)).toContainEqual(named("spec.pytorchReplicaSpecs[Master].template.spec.containers[0].name", "FieldValueDuplicate"));
  });

  it("environment variable names; a name twice: a core Job may (the API keeps the last), a CRD's list-map may not", async () => {
    const twice = job();
    const vars = twice.spec.template.spec.containers[0].env;
    vars.push({ name: vars[0].name, value: "again" });
    expect(await kubernetesAdmission(twice)).toEqual([]);
    const j = job();
    j.spec.template.spec.containers[0].env.push({ name: "1BAD", value: "x" });
    const at = j.spec.template.spec.containers[0].env.length - 1;
    expect(await refused(j)).toContainEqual(named(`spec.template.spec.containers[0].env[${at}].name`, "FieldValueInvalid"));
    const p = pytorch();
    const env = p.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].env;
    env.push({ name: env[0].name, value: "again" });
    expect(await refused(p)).toContainEqual(named(`spec.pytorchReplicaSpecs[Master].template.spec.containers[0].env[${env.length - 1}]`, "FieldValueDuplicate"));
  });

  it("label values: at most 63 characters, and valid", async () => {
    const j = job();
    j.metadata.labels["aves2.io/component"] = "x".repeat(64);
    expect((await refused(j)).find((c) => c.field === "metadata.labels")?.message).toContain("must be no more than 63 characters");
    const t = job();
    t.spec.template.metadata.labels["aves2.io/role"] = "not valid!";
    expect(await refused(t)).toContainEqual(named("spec.template.metadata.labels", "FieldValueInvalid"));
  });

  it("a mount of a volume the pod does not have", async () => {
    const j = job();
    j.spec.template.spec.containers[0].volumeMounts.push({ name: "nowhere", mountPath: "/nowhere" });
    const at = j.spec.template.spec.containers[0].volumeMounts.length - 1;
    expect(await refused(j)).toContainEqual({ reason: "FieldValueNotFound", field: `spec.template.spec.containers[0].volumeMounts[${at}].name`, message: 'Not found: "nowhere"' });
  });

  it("the training operator's rules: a PyTorchJob needs a container named pytorch and one Master", async () => {
    const p = pytorch();
    p.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].name = "main";
    p.spec.pytorchReplicaSpecs.Master.replicas = 2;
    const causes = await refused(p);
    expect(causes).toContainEqual(named("spec.pytorchReplicaSpecs[Master].template.spec.containers", "FieldValueRequired"));
    expect(causes).toContainEqual(named("spec.pytorchReplicaSpecs[Master].replicas", "FieldValueForbidden"));
  });

  it("a Secret's bad data is named without its value", async () => {
    const s = golden("storage-s3-create-secret.yaml", "Secret");
    s.data = { ...s.data, token: "not base64 s3cr3t!" };
    const causes = await refused(s);
    expect(causes).toContainEqual(named("data[token]", "FieldValueInvalid"));
    expect(JSON.stringify(causes)).not.toContain("s3cr3t");
  });
});

describe("k8s admission: the test server answers as an API server", () => {
  let server: K8sTestServer;
  beforeAll(async () => {
    server = await startK8sTestServer({ namespaces: ["ml"], validate: kubernetesAdmission });
  });
  afterAll(async () => {
    await server.close();
  });

  const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, { method: "POST", headers: { Authorization: `Bearer ${server.token}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });

  it("an invalid object: 422 Invalid, its causes in details, nothing stored", async () => {
    const o = pytorch();
    o.spec.nprocPerNode = 4;
    const res = await post("/apis/kubeflow.org/v1/namespaces/ml/pytorchjobs", o);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { kind: string; reason: string; code: number; message: string; details: { name: string; kind: string; causes: AdmissionCause[] } };
    expect(body).toMatchObject({ kind: "Status", reason: "Invalid", code: 422, details: { name: o.metadata.name, kind: "PyTorchJob" } });
    expect(body.details.causes).toContainEqual(named("spec.nprocPerNode", "FieldValueTypeInvalid"));
    expect(body.message).toContain(`PyTorchJob.kubeflow.org "${o.metadata.name}" is invalid: spec.nprocPerNode: Invalid value`);
    expect(server.objects("PyTorchJob")).toEqual([]);
  });

  it("a rendered object is created", async () => {
    const res = await post("/apis/batch/v1/namespaces/ml/jobs", job());
    expect(res.status).toBe(201);
    expect(server.objects("Job", "ml")).toHaveLength(1);
  });
});
