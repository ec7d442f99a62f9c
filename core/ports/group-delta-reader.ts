/** One group's changes merged across every delta page it appeared on. */
export interface GroupDelta {
  id: string;
  displayName?: string | undefined;
  removed: boolean;
  addedMembers: Set<string>;
  removedMembers: Set<string>;
  /** Groups added or removed as members: nesting changed, so the group must be re-read in full. */
  nestedGroupChanges: Set<string>;
}

/** Graph's /groups delta query: one round, pages merged; throws `IDP.DELTA_EXPIRED` on a stale link. */
export interface GroupDeltaReader {
  groupsDelta(deltaLink: string | undefined): Promise<{ groups: Map<string, GroupDelta>; deltaLink: string }>;
}
