// Compiles the Kubeflow CRDs' schemas (and the pod template schema they embed,
// which Jobs are checked against too) into one standalone validator module at
// build time. Compiling them with ajv on each CLI start cost ~1 s of a k8s
// `render`; loading the generated module costs ~60 ms.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";
import { load } from "js-yaml";
import { CRD_OPTIONS, CRD_VERSIONS, podTemplateOf } from "../dist/backends/kubernetes/crd-schemas.js";

const ajv = new Ajv({ ...CRD_OPTIONS, code: { source: true } });
(addFormats.default ?? addFormats)(ajv);
const schemas = {};
for (const [kind, { file, version }] of Object.entries(CRD_VERSIONS)) {
  const crd = load(readFileSync(new URL(`../schemas/crds/${file}`, import.meta.url), "utf8"));
  schemas[kind] = crd.spec.versions.find((v) => v.name === version).schema.openAPIV3Schema;
  ajv.addSchema(schemas[kind], kind);
}
ajv.addSchema(podTemplateOf(schemas.TFJob), "PodTemplate");
const code = standaloneCode.default(ajv, { TFJob: "TFJob", PyTorchJob: "PyTorchJob", MPIJob: "MPIJob", PodTemplate: "PodTemplate" });
const out = new URL("../dist/backends/kubernetes/crd-validators.cjs", import.meta.url);
mkdirSync(new URL(".", out), { recursive: true });
writeFileSync(out, code);
// the generated code requires ajv's runtime helpers: fail the build here, not a user's render
createRequire(out)(out.pathname);
