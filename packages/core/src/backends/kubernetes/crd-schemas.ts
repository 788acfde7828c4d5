/**
 * What the CRD validators are built from, shared by the build script that
 * precompiles them (scripts/build-crd-validators.mjs) and the runtime
 * fallback that compiles them when the precompiled module is absent.
 */

export const CRD_VERSIONS: Readonly<Record<string, { file: string; version: string }>> = {
  TFJob: { file: "kubeflow.org_tfjobs.yaml", version: "v1" },
  PyTorchJob: { file: "kubeflow.org_pytorchjobs.yaml", version: "v1" },
  MPIJob: { file: "kubeflow.org_mpijobs.yaml", version: "v2beta1" },
};

/** strict: false lets the x-kubernetes-* keywords through; formats int32/int64/date-time need ajv-formats. */
export const CRD_OPTIONS = { allErrors: true, strict: false, validateFormats: true } as const;

type Schema = { [k: string]: unknown };

/** The full PodTemplateSpec schema, as the TFJob CRD embeds it. */
export function podTemplateOf(tfjob: Schema): Schema {
  const props = (s: Schema, k: string) => (s.properties as Record<string, Schema>)[k]!;
  return props(props(props(tfjob, "spec"), "tfReplicaSpecs").additionalProperties as Schema, "template");
}
