import { InvalidProfileError, ScimError, SyncError } from "../../domain/errors";
import type { SyncFailure } from "../../ports/ledger-records";

/** The failure to record on one item, or undefined when the error must stop the whole sync. */
export function itemFailure(error: unknown): SyncFailure | undefined {
  if (error instanceof InvalidProfileError)
    return { reason: error.reasons.join("; "), errorCode: error.code };
  if (error instanceof ScimError && (error.kind === "invalid" || error.kind === "conflict")) {
    return { reason: error.detail, errorCode: error.code };
  }
  if (error instanceof SyncError && !error.retryable && !error.code.endsWith(".AUTH")) {
    return { reason: error.message, errorCode: error.code };
  }
  return undefined;
}
