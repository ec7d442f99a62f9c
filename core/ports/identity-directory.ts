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
}

export type OktaCredentials =
  | { orgUrl: string; token: string }
  | { orgUrl: string; clientId: string; privateKey: string; keyId?: string | undefined };
