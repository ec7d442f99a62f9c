import { SyncError } from "../../domain/errors";
import type { GroupSyncState } from "../../ports/group-sync-state";
import type { GroupRecord } from "../../ports/ledger-records";

/** What the pass's re-read from the IdP left undone, if anything. */
export interface RefreshOutcome {
  /** Removals held for an operator's approval, and why. */
  held: string | undefined;
  /** The read failed part way: removals wait for a complete one. */
  incomplete: string | undefined;
}

/**
 * Step 5 of a group pass: marks the version the pass started from synced (a change that landed
 * meanwhile keeps the group dirty for the next pass), and says why it is not all done: held
 * removals are recorded on the group; an incomplete IdP read is recorded and thrown for a retry.
 */
export async function recordPassOutcome(
  group: GroupRecord,
  refreshed: RefreshOutcome,
  ledger: GroupSyncState,
): Promise<void> {
  await ledger.recordGroupSynced(group.source, group.idpId, group.dirtyVersion);
  if (refreshed.held) {
    await ledger.recordGroupFailed(group.source, group.idpId, {
      reason: refreshed.held,
      errorCode: "REMOVALS.HELD",
    });
  }
  if (refreshed.incomplete) {
    const failure = {
      reason: `IdP read incomplete, removals held: ${refreshed.incomplete}`,
      errorCode: "IDP.INCOMPLETE",
    };
    await ledger.recordGroupFailed(group.source, group.idpId, failure);
    throw new SyncError(failure.errorCode, failure.reason, { retryable: true });
  }
}
