import type { IdentitySource } from "../domain/identity-source";
import type { KiroUserProfile } from "../domain/kiro-user";
import type { SyncFailure, UserLifecycle, UserRecord, UserSeenVersions } from "./ledger-records";

/** The users we manage: their IdP profile and lifecycle, and their Kiro id and push status. */
export interface UserRecords {
  recordUserProfile(
    source: IdentitySource,
    idpId: string,
    profile: KiroUserProfile,
    version: string,
  ): Promise<boolean>;

  /** Asks the worker to re-read the profile from the IdP when newer than the one it has. */
  requestUserProfile(
    source: IdentitySource,
    idpId: string,
    version: string,
    options: { onlyIfKnown: boolean; onlyIfNoProfile?: boolean },
  ): Promise<boolean>;

  /** Lifecycle changes only apply to users the ledger knows (members of in-scope groups). */
  recordUserLifecycle(
    source: IdentitySource,
    idpId: string,
    lifecycle: UserLifecycle,
    version: string,
  ): Promise<boolean>;

  getUser(source: IdentitySource, idpId: string): Promise<UserRecord | undefined>;

  getUsers(source: IdentitySource, idpIds: readonly string[]): Promise<Map<string, UserRecord>>;

  /**
   * The users of either source whose current login or email is `loginOrEmail` (any letter case),
   * found with one query, never a scan: what an operator types to ask about someone.
   */
  findUsers(loginOrEmail: string): Promise<UserRecord[]>;

  /** `scimId` undefined: the user is gone from Kiro on purpose (deleted per the removal policy). */
  recordUserSynced(
    source: IdentitySource,
    idpId: string,
    scimId: string | undefined,
    seen: UserSeenVersions,
  ): Promise<void>;

  recordUserFailed(source: IdentitySource, idpId: string, failure: SyncFailure): Promise<void>;

  /**
   * Claims the right to create this user in Kiro for `ttlMs`, so groups syncing in parallel create
   * a shared member once instead of racing into 409s. False when another worker holds the claim.
   */
  claimUserCreation(source: IdentitySource, idpId: string, worker: string, ttlMs: number): Promise<boolean>;

  /** Gives a claim back early (the attempt failed), so waiting workers need not sit out its TTL. */
  releaseUserCreation(source: IdentitySource, idpId: string, worker: string): Promise<void>;

  /**
   * Forgets these users' Kiro ids and marks them pending, so the workers create them again; each
   * keeps `queuedByRun`, the re-provisioning run whose tally counts it.
   */
  invalidateUsers(source: IdentitySource, userIds: readonly string[], queuedByRun?: string): Promise<number>;
}
