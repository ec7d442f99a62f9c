import type { IdentitySource } from "../domain/identity-source";
import type { LedgerKind, StatusEntry, SyncStatus } from "./ledger-records";

/** Reads across items by status and id, for `/status`, the sweep and runs that page the ledger. */
export interface StatusQueries {
  /** Oldest first, by when the change landed (pending/failed) or was synced. */
  listByStatus(
    source: IdentitySource,
    kind: LedgerKind,
    status: SyncStatus,
    limit: number,
  ): Promise<StatusEntry[]>;

  countByStatus(source: IdentitySource, kind: LedgerKind, status: SyncStatus): Promise<number>;

  /** One page of a source's user or group ids, in id order, resuming after `after`. */
  pageIds(
    source: IdentitySource,
    kind: "USER" | "GROUP",
    page: { after?: string | undefined; limit: number },
  ): Promise<{ ids: string[]; last: string | undefined }>;
}
