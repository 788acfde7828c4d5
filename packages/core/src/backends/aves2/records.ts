import { UserError } from "../../errors.js";
import type { RunRecord } from "../backend.js";
import { readRecords } from "../local/records.js";

/** The AVES2 runs recorded here, by our run id or the server's job id. */
export function aves2Records(runsDir: string): RunRecord[] {
  return readRecords(runsDir).filter((r) => r.backend === "aves2");
}

/** A recorded AVES2 run by run id, unique prefix, or server job id; undefined when none. */
export function findAves2Record(runsDir: string, id: string): RunRecord | undefined {
  const all = aves2Records(runsDir);
  const exact = all.find((r) => r.runId === id);
  if (exact) return exact;
  const byJob = all.filter((r) => String(r.details.jobId) === id);
  if (byJob.length === 1) return byJob[0];
  const hits = all.filter((r) => r.runId.startsWith(id));
  if (hits.length > 1) {
    throw UserError.of(`"${id}" matches ${hits.length} runs`, { hint: `be more specific: ${hits.slice(0, 3).map((r) => r.runId).join(", ")}` });
  }
  return hits[0] ?? byJob[0];
}
