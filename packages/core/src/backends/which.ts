import { join } from "node:path";
import type { RunRecord } from "../records/record.js";
import { readRecordAt, runIds } from "../records/run-store.js";
import type { Backend } from "./backend.js";
import { type BackendContext, createBackend } from "./index.js";
import { aves2Records } from "./aves2/records.js";

/** The backend a recorded run ran on, found by run id, unique prefix, or AVES2 job id. */
function recordedBackend(runsDir: string, id: string): string | undefined {
  const ids = runIds(runsDir);
  const hit = ids.includes(id) ? [id] : ids.filter((r) => r.startsWith(id));
  if (hit.length === 1) return readRecordAt(join(runsDir, hit[0]!))?.backend;
  if (hit.length > 1) return undefined;
  return aves2Records(runsDir).some((r) => String(r.details.jobId) === id) ? "aves2" : undefined;
}

/**
 * The backend to ask about a run: the one named, else the one its record
 * says, else AVES2 for a bare job number, else the local one (which says
 * there is no such run).
 */
export function backendForRun(ctx: BackendContext, id: string, named?: string): Backend {
  if (named) return createBackend(named, ctx);
  const recorded = recordedBackend(ctx.config.runsDir.value, id);
  return createBackend(recorded ?? (/^\d+$/.test(id) ? "aves2" : "local"), ctx);
}

/** Every run recorded here, whatever its backend, without asking any server (AVES2 runs as last seen). */
export async function recordedRuns(ctx: BackendContext): Promise<RunRecord[]> {
  const local = await createBackend("local", ctx).list();
  return [...local, ...aves2Records(ctx.config.runsDir.value)].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
