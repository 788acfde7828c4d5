import type { RunState } from "../../records/record.js";

/** AVES2 job statuses → ours. */
const STATES: Readonly<Record<string, RunState>> = {
  NEW: "pending",
  STARTING: "pending",
  PENDING: "pending",
  RUNNING: "running",
  FINISHED: "succeeded",
  FAILURE: "failed",
  CANCELED: "canceled",
};

/** A status this tool does not know yet counts as pending: the job exists and has not ended. */
export function stateOf(status: string): RunState {
  return STATES[status.toUpperCase()] ?? "pending";
}
