import { toYaml } from "../manifest/yaml-source.js";
import type { Aves2JobFile } from "./job-file.js";

/** A job file as YAML the AVES2 client reads, keys in the seed's order. */
export function formatJobFile(job: Aves2JobFile): string {
  return toYaml(job, { lineWidth: -1, noRefs: true });
}
