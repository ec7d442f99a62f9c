import type { DirectoryUser } from "./identity-directory";

/** One group's changes merged across every delta page it appeared on. */
export interface GroupDelta {
  id: string;
  displayName?: string | undefined;
  removed: boolean;
  addedMembers: Set<string>;
  removedMembers: Set<string>;
  /** Groups added or removed as members: nesting changed, so the group must be re-read in full. */
  nestedGroupChanges: Set<string>;
  /**
   * Members added or removed with no `@odata.type`: Graph does not promise one on every item, and
   * such an id may be a group, so the group must be re-read in full rather than record it as a user.
   */
  untypedMembers: Set<string>;
}

/**
 * Graph's delta queries: one round each, pages merged; `undefined` starts a full enumeration, and a
 * stale link throws `IDP.DELTA_EXPIRED`.
 */
export interface DirectoryDeltaReader {
  groupsDelta(deltaLink: string | undefined): Promise<{ groups: Map<string, GroupDelta>; deltaLink: string }>;
  /** Users changed since the link (every user on a full round); `undefined` for a deleted one. */
  usersDelta(
    deltaLink: string | undefined,
  ): Promise<{ users: Map<string, DirectoryUser | undefined>; deltaLink: string }>;
}
