import type { IdentitySource } from "../../../core/domain/identity-source";
import type { EventChanges } from "../../../core/ports/ledger-records";
import type { ProcessedEvents } from "../../../core/ports/processed-events";
import { itemKey, type LedgerState, olderOrAbsent, toPending } from "./in-memory-state";

/** DynamoLedger's default dedupe window: longer than any IdP redelivery (Graph retries for 4 h). */
export const defaultEventTtlSeconds = 3 * 24 * 3600;

type MemberChange = NonNullable<EventChanges["membership"]>;
type NameChange = NonNullable<EventChanges["groupName"]>;
type ProfileChange = NonNullable<EventChanges["profileRequest"]>;

/**
 * {@link ProcessedEvents} over {@link LedgerState}. Event marks (which no other port reads) live
 * here, each with its expiry in epoch seconds on the injected clock; a batch of event changes
 * writes the user, group and membership items the other ports read.
 */
export class InMemoryProcessedEvents implements ProcessedEvents {
  /** `source#eventId` → when the mark expires, in epoch seconds. */
  private readonly marks = new Map<string, number>();

  constructor(
    private readonly state: LedgerState,
    private readonly eventTtlSeconds = defaultEventTtlSeconds,
  ) {}

  /**
   * Marks the event unless an unexpired mark exists. A mark expiring at this very second is
   * neither processed (for the reads) nor replaced (here), as in the adapter.
   */
  async markEventProcessed(
    source: IdentitySource,
    eventId: string,
    ttlSeconds = this.eventTtlSeconds,
  ): Promise<boolean> {
    const nowSeconds = epochSeconds(this.state);
    const expiresAt = this.marks.get(itemKey(source, eventId));
    if (expiresAt !== undefined && expiresAt >= nowSeconds) return false;
    this.marks.set(itemKey(source, eventId), nowSeconds + ttlSeconds);
    return true;
  }

  async hasProcessedEvent(source: IdentitySource, eventId: string): Promise<boolean> {
    return (this.marks.get(itemKey(source, eventId)) ?? 0) > epochSeconds(this.state);
  }

  async hasProcessedEvents(source: IdentitySource, eventIds: readonly string[]): Promise<Set<string>> {
    const nowSeconds = epochSeconds(this.state);
    return new Set(
      eventIds.filter((eventId) => (this.marks.get(itemKey(source, eventId)) ?? 0) > nowSeconds),
    );
  }

  /**
   * As the adapter: the newest change per item (whatever the order, by JavaScript string order),
   * kept only if newer than what the item holds (read first, by JavaScript string order) and
   * written only if its condition holds (DynamoDB's byte order); a group is touched once for all
   * its recorded changes, its dirtyVersion counting each; then every event is marked, an
   * unexpired mark included (its window starts again).
   */
  async recordEventChanges(
    source: IdentitySource,
    events: readonly EventChanges[],
    ttlSeconds = this.eventTtlSeconds,
  ): Promise<void> {
    if (events.length === 0) return;
    const now = this.state.iso();
    const { members, names, profiles } = newestChangePerItem(events);
    const groupIds = new Set([...members.values()].map((change) => change.groupId));
    for (const groupId of names.keys()) groupIds.add(groupId);
    for (const groupId of groupIds) {
      let recorded = 0;
      for (const change of members.values()) {
        if (change.groupId === groupId && recordMembership(this.state, source, change, now)) recorded += 1;
      }
      const name = names.get(groupId);
      const current = this.state.groups.get(itemKey(source, groupId));
      const nameRecorded = name !== undefined && newer(current?.nameVersion, name.version);
      if (nameRecorded) recorded += 1;
      if (recorded === 0) continue;
      const group = this.state.touchGroup(source, groupId, now, recorded);
      if (nameRecorded) Object.assign(group, { name: name.name, nameVersion: name.version });
    }
    for (const change of profiles.values()) {
      const current = this.state.users.get(itemKey(source, change.userId));
      if (current?.profileVersion !== undefined) continue;
      if (!newer(current?.profileRequestedVersion, change.version)) continue;
      const user = this.state.touchUser(source, change.userId, now);
      user.profileRequestedVersion = change.version;
      user.lifecycle ??= "active";
    }
    const expiresAt = epochSeconds(this.state) + ttlSeconds;
    for (const event of events) this.marks.set(itemKey(source, event.eventId), expiresAt);
  }
}

/** The membership item's half of recordDesiredMembership; the caller touches the group once. */
function recordMembership(
  state: LedgerState,
  source: IdentitySource,
  change: MemberChange,
  now: string,
): boolean {
  const current = state.membersOf(source, change.groupId).get(change.userId);
  if (!newer(current?.desiredVersion, change.version)) return false;
  const item = state.member(source, change.groupId, change.userId);
  Object.assign(item, {
    desired: change.desired,
    desiredVersion: change.version,
    source,
    groupId: change.groupId,
    userId: change.userId,
    listedForUser: true,
  });
  item.applied ??= false;
  item.attempts ??= 0;
  toPending(item, now);
  return true;
}

const epochSeconds = (state: LedgerState) => Math.floor(state.now().getTime() / 1000);

/** Newer than the recorded version both by the adapter's read (JavaScript order) and its write condition (byte order). */
const newer = (recorded: string | undefined, version: string) =>
  (recorded === undefined || recorded < version) && olderOrAbsent(recorded, version);

/**
 * Per item, the change with the highest version; of equal versions the first listed. Memberships
 * are told apart by `groupId|userId`, as in the adapter (so ids holding a `|` can collide there).
 */
function newestChangePerItem(events: readonly EventChanges[]) {
  const members = new Map<string, MemberChange>();
  const names = new Map<string, NameChange>();
  const profiles = new Map<string, ProfileChange>();
  const keep = <Change extends { version: string }>(
    map: Map<string, Change>,
    key: string,
    change: Change,
  ) => {
    const held = map.get(key);
    if (held === undefined || held.version < change.version) map.set(key, { ...change });
  };
  for (const event of events) {
    if (event.membership)
      keep(members, `${event.membership.groupId}|${event.membership.userId}`, event.membership);
    if (event.groupName) keep(names, event.groupName.groupId, event.groupName);
    if (event.profileRequest) keep(profiles, event.profileRequest.userId, event.profileRequest);
  }
  return { members, names, profiles };
}
