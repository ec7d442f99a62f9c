import type { KiroUserProfile } from "../domain/kiro-user";

/** A user as Kiro returns it. */
export interface ScimUser {
  id: string;
  externalId?: string | undefined;
  userName: string;
  displayName?: string | undefined;
  active: boolean;
  givenName?: string | undefined;
  familyName?: string | undefined;
  email?: string | undefined;
}

/** A group as Kiro returns it: never with members (Kiro does not return them on reads). */
export interface ScimGroup {
  id: string;
  displayName: string;
  externalId?: string | undefined;
}

export interface ScimPage<T> {
  items: T[];
  /** Absent on the last page. */
  nextCursor?: string | undefined;
}

export type ScimUserPatch =
  | { op: "replace"; path: string; value: unknown }
  | { op: "add"; path: string; value: unknown }
  | { op: "remove"; path: string };

/**
 * Kiro's SCIM endpoint (IAM Identity Center semantics). Every method throws `ScimError` on failure;
 * lookups answer `undefined` for "not there" and deletes treat 404 as already done, so callers never
 * have to catch not-found for the ordinary cases.
 */
export interface KiroScimPort {
  createUser(profile: KiroUserProfile): Promise<ScimUser>;
  getUser(id: string): Promise<ScimUser | undefined>;
  findUserByUserName(userName: string): Promise<ScimUser | undefined>;
  findUserByExternalId(externalId: string): Promise<ScimUser | undefined>;
  patchUser(id: string, operations: ScimUserPatch[]): Promise<ScimUser>;
  replaceUser(id: string, profile: KiroUserProfile): Promise<ScimUser>;
  deleteUser(id: string): Promise<void>;
  listUsers(cursor?: string): Promise<ScimPage<ScimUser>>;

  createGroup(group: { displayName: string; externalId: string }): Promise<ScimGroup>;
  getGroup(id: string): Promise<ScimGroup | undefined>;
  findGroupByDisplayName(displayName: string): Promise<ScimGroup | undefined>;
  findGroupByExternalId(externalId: string): Promise<ScimGroup | undefined>;
  /** PATCHes displayName and/or externalId; a rename is never a delete-and-recreate. */
  updateGroup(id: string, changes: { displayName?: string; externalId?: string }): Promise<void>;
  /** Sends as many PATCHes as needed, each with at most 100 member changes. */
  addMembers(groupId: string, userIds: readonly string[]): Promise<void>;
  /** Sends as many PATCHes as needed, each with at most 100 member changes. */
  removeMembers(groupId: string, userIds: readonly string[]): Promise<void>;
  deleteGroup(id: string): Promise<void>;
  listGroups(cursor?: string): Promise<ScimPage<ScimGroup>>;
  /** The only membership read Kiro offers: a group filter on one member. */
  isMember(groupId: string, userId: string): Promise<boolean>;
  /** Groups that list the user as a member (`members.value eq`), all pages. */
  listGroupsOfUser(userId: string): Promise<ScimGroup[]>;
  /**
   * Reads only: proves the base URL is a SCIM endpoint and the token may read its users, so a
   * wrong URL (`not-found`) is told apart from a revoked token (`auth`) before any sync runs.
   */
  checkAccess(): Promise<void>;
}
