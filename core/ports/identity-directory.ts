import type { KiroUserProfile } from "../domain/kiro-user";

export interface DirectoryUser {
  id: string;
  /** Mapped to Kiro's attributes; may still break Kiro's rules (the worker checks before sending). */
  profile: KiroUserProfile;
  active: boolean;
}

/**
 * Read access to an identity provider. Throws `SyncError` with code `IDP.*`: retryable for
 * throttling and outages, not for auth problems.
 */
export interface IdentityDirectory {
  /** `undefined` when the IdP no longer has the user. */
  getUser(id: string): Promise<DirectoryUser | undefined>;
  /**
   * Many users in few requests, for a reconcile's re-read of every managed user (Graph: 15 ids a
   * request, Okta: 20), so a 20,000-user directory costs about a thousand reads, not 20,000. An id
   * missing from the answer is not proof of deletion (Okta lists leave deprovisioned users out):
   * callers confirm it with {@link getUser}. Any failure throws, never a partial answer.
   */
  readUsers(ids: readonly string[]): Promise<Map<string, DirectoryUser>>;
  /**
   * Everyone in the group: users through nested groups too (Kiro has no nested groups, so they are
   * flattened), plus the nested groups met on the way. A failure on the first page throws; a later
   * one returns what was read with `complete: false`.
   */
  listGroupMembers(groupId: string): Promise<GroupMembers | undefined>;
  /**
   * The groups a user belongs to, through nested groups too (Entra), with their names: what decides
   * whether a user nobody told us about is in scope. `undefined` when the IdP has no such user.
   */
  listGroupsOfUser(userId: string): Promise<{ id: string; name: string }[] | undefined>;
  /** Every group of the directory, for reconcile to find in-scope groups it has never heard of. */
  listGroups(): Promise<{ id: string; name: string }[]>;
  /**
   * One harmless read that proves the credentials: `IDP.AUTH` when they are refused,
   * `IDP.FORBIDDEN` when they are valid but lack a scope or role. Optional: a directory without it
   * is checked by its own probe.
   */
  checkAccess?(): Promise<void>;
}

export interface GroupMembers {
  displayName?: string | undefined;
  userIds: string[];
  nestedGroupIds: string[];
  /**
   * False when a page after the first failed: the ids read so far are real members (safe to add),
   * but the list cannot prove anyone left (never compute removals from it).
   */
  complete: boolean;
  failure?: string | undefined;
}

export type OktaCredentials =
  | { orgUrl: string; token: string }
  | { orgUrl: string; clientId: string; privateKey: string; keyId?: string | undefined };

export interface GraphCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Token authority; only set for a local tenant (`https://login.microsoftonline.com` otherwise). */
  authorityHost?: string | undefined;
  /** Graph root; only set for a local tenant (`https://graph.microsoft.com/` otherwise). */
  graphBaseUrl?: string | undefined;
}
