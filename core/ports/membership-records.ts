import type { IdentitySource } from "../domain/identity-source";
import type { MembershipRecord, SyncFailure } from "./ledger-records";

/** Each membership: what the IdP wants and what Kiro accepted. */
export interface MembershipRecords {
  /** Sets the desired membership if `version` is newer, and marks the group dirty when it changed. */
  recordDesiredMembership(
    source: IdentitySource,
    groupId: string,
    userId: string,
    desired: boolean,
    version: string,
  ): Promise<boolean>;

  listMemberships(source: IdentitySource, groupId: string): Promise<MembershipRecord[]>;

  listGroupIdsOfUser(source: IdentitySource, userId: string): Promise<string[]>;

  /** Every membership record of one user (any state), for a deep audit's comparison with Kiro. */
  listMembershipsOfUser(source: IdentitySource, userId: string): Promise<MembershipRecord[]>;

  /**
   * Records what Kiro accepted. A membership whose desired state moved on since the worker read it
   * (`seenVersion`) keeps its pending status, so a concurrent change is never marked synced.
   */
  recordMembershipsApplied(
    source: IdentitySource,
    groupId: string,
    changes: readonly { userId: string; applied: boolean; seenVersion: string }[],
  ): Promise<void>;

  recordMembershipsFailed(
    source: IdentitySource,
    groupId: string,
    userIds: readonly string[],
    failure: SyncFailure,
  ): Promise<void>;
}
