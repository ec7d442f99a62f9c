import { failureOf } from "../domain/errors";
import type { IdentitySource } from "../domain/identity-source";
import type { SyncControl } from "../ports/sync-control";

/**
 * Runs a scheduled read of one source and keeps how it went in the ledger, so `/status` in any
 * function (and the local runtime's start banner) names a degraded source and since when, while
 * the other source keeps syncing. The failure still propagates: the job's own alarms see it too.
 */
export async function recordingSourceHealth<T>(
  ledger: SyncControl,
  source: IdentitySource,
  work: () => Promise<T>,
): Promise<T> {
  try {
    const result = await work();
    await ledger.recordSourceHealth(source, undefined);
    return result;
  } catch (error) {
    await ledger.recordSourceHealth(source, failureOf(error)).catch(() => undefined);
    throw error;
  }
}
