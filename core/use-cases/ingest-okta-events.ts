import { forEachLimited } from "../domain/concurrency";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion } from "../domain/identity-source";
import { type OktaLogEvent, screenOktaEvents, targetOfType } from "../domain/okta-events";
import { countIn, countRejected } from "../domain/tally";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { EventChanges, GroupRecord, UserLifecycle } from "../ports/ledger-records";
import type { MembershipRecords } from "../ports/membership-records";
import type { ProcessedEvents } from "../ports/processed-events";
import type { UserRecords } from "../ports/user-records";
import { type IngestSummary, rejectionReasons } from "./hook-request";

export interface OktaIngestDependencies {
  ledger: GroupRecords & GroupSyncState & MembershipRecords & ProcessedEvents & UserRecords;
  bus: EventBus;
  scope: GroupScope;
  /** The Okta app that stands for Kiro; app (un)assignment events for other apps are ignored. */
  oktaAppId?: string | undefined;
}

const lifecycleByEventType: Record<string, UserLifecycle> = {
  "user.lifecycle.activate": "active",
  "user.lifecycle.reactivate": "active",
  "user.lifecycle.unsuspend": "active",
  "user.lifecycle.deactivate": "inactive",
  "user.lifecycle.suspend": "inactive",
  "user.lifecycle.delete.initiated": "deleted",
  "application.user_membership.add": "active",
  "application.user_membership.remove": "inactive",
};

type Outcome = { touched: string[] } | { ignored: string };

/**
 * Records a kept Okta delivery's events in the ledger and publishes one GroupChanged per touched
 * group. No SCIM or Okta call happens here, and a delivery costs a bounded number of DynamoDB round
 * trips whatever its size: the dedupe read is one batch and membership events (the bulk of any
 * delivery) are written together. An event is marked processed only with or after its change, so
 * a crash mid-ingest loses nothing (the delivery stays in the inbox; the recorded writes are
 * newer-wins and replay harmlessly).
 */
export async function ingestOktaEvents(
  events: readonly OktaLogEvent[],
  deps: OktaIngestDependencies,
): Promise<IngestSummary> {
  const screened = screenOktaEvents(events);
  const unprocessed = await unprocessedEvents(screened.events, deps.ledger);
  const summary: IngestSummary = {
    events: events.length,
    recorded: 0,
    duplicates: screened.events.length - unprocessed.length,
    ignored: screened.ignored,
    unknownTypes: screened.unknownTypes,
    rejected: screened.rejected,
    groupsTouched: 0,
  };

  const touched = new Set<string>();
  const count = (outcome: Outcome, eventId: string) => {
    if ("ignored" in outcome) {
      if (rejectionReasons.has(outcome.ignored)) countRejected(summary, eventId, outcome.ignored);
      else countIn(summary.ignored, outcome.ignored);
    } else {
      summary.recorded += 1;
      for (const groupId of outcome.touched) touched.add(groupId);
    }
  };
  const memberships = unprocessed
    .filter((event) => event.eventType.startsWith("group.user_membership."))
    .map((event) => readMembershipEvent(event, deps.scope));
  const newestNameEvent = newestMembershipEventPerGroup(memberships);
  await deps.ledger.recordEventChanges(
    "okta",
    memberships.map((read) => {
      const planned = membershipEventChanges(read, newestNameEvent);
      count(planned.outcome, read.eventId);
      return planned.changes;
    }),
  );

  const others = unprocessed.filter((event) => !event.eventType.startsWith("group.user_membership."));
  if (others.length > 0) {
    const knownGroups = await deps.ledger.getGroups("okta", groupIdsOfProfileUpdates(others));
    await forEachLimited(others, 16, async (event) => {
      count(await recordOktaEvent(event, deps, knownGroups), event.uuid);
    });
    await deps.ledger.recordEventChanges(
      "okta",
      others.map((event) => ({ eventId: event.uuid })),
    );
  }
  summary.groupsTouched = touched.size;
  await deps.bus.publish(
    [...touched].map((groupId) => ({
      type: "GroupChanged",
      detail: { source: "okta", groupId, trigger: "hook:okta" },
    })),
  );
  return summary;
}

/**
 * The events not processed before, each once: Okta retries a delivery it thinks failed, and an
 * event repeated within one delivery is the same change.
 */
async function unprocessedEvents(
  events: readonly OktaLogEvent[],
  ledger: GroupRecords & GroupSyncState & MembershipRecords & ProcessedEvents & UserRecords,
): Promise<OktaLogEvent[]> {
  if (events.length === 0) return [];
  const processed = await ledger.hasProcessedEvents(
    "okta",
    events.map((event) => event.uuid),
  );
  const seen = new Set<string>();
  return events.filter((event) => {
    if (processed.has(event.uuid) || seen.has(event.uuid)) return false;
    seen.add(event.uuid);
    return true;
  });
}

/** A membership event as it will be recorded, or why it is ignored; decided without reading anything. */
type MembershipRead =
  | { eventId: string; ignored: string }
  | {
      eventId: string;
      groupId: string;
      groupName: string | undefined;
      userId: string;
      add: boolean;
      version: string;
    };

function readMembershipEvent(event: OktaLogEvent, scope: GroupScope): MembershipRead {
  const result = event.outcome?.result;
  if (result && result !== "SUCCESS") return { eventId: event.uuid, ignored: "not-success" };
  const user = targetOfType(event, "User");
  const group = targetOfType(event, "UserGroup");
  if (!user || !group) return { eventId: event.uuid, ignored: "missing-target" };
  if (!scope.includes({ id: group.id, name: group.displayName }))
    return { eventId: event.uuid, ignored: "out-of-scope" };
  return {
    eventId: event.uuid,
    groupId: group.id,
    groupName: group.displayName ?? undefined,
    userId: user.id,
    add: event.eventType.endsWith(".add"),
    version: changeVersion(event.published, event.uuid),
  };
}

/**
 * Only the newest recorded membership event of a group in a delivery can set its name, so only
 * that one writes it: a delivery of 1,000 adds to one group makes one group-name write, not 1,000.
 * An ignored event (failed, oversize, out of scope) never counts, or the group would get no name.
 */
function newestMembershipEventPerGroup(reads: readonly MembershipRead[]): Map<string, string> {
  const newest = new Map<string, string>();
  for (const read of reads) {
    if ("ignored" in read || !read.groupName) continue;
    if ((newest.get(read.groupId) ?? "") < read.version) newest.set(read.groupId, read.version);
  }
  return newest;
}

/** A membership event's changes, so a delivery's can be written together. */
function membershipEventChanges(
  read: MembershipRead,
  newestNameEvent: ReadonlyMap<string, string>,
): { outcome: Outcome; changes: EventChanges } {
  if ("ignored" in read) return { outcome: { ignored: read.ignored }, changes: { eventId: read.eventId } };
  const { groupId, userId, add, version } = read;
  return {
    outcome: { touched: [groupId] },
    changes: {
      eventId: read.eventId,
      membership: { groupId, userId, desired: add, version },
      groupName:
        read.groupName && newestNameEvent.get(groupId) === version
          ? { groupId, name: read.groupName, version }
          : undefined,
      profileRequest: add ? { userId, version } : undefined,
    },
  };
}

function groupIdsOfProfileUpdates(events: readonly OktaLogEvent[]): string[] {
  return events.flatMap((event) => {
    const group = event.eventType === "group.profile.update" ? targetOfType(event, "UserGroup") : undefined;
    return group ? [group.id] : [];
  });
}

async function recordOktaEvent(
  event: OktaLogEvent,
  deps: OktaIngestDependencies,
  knownGroups: ReadonlyMap<string, GroupRecord>,
): Promise<Outcome> {
  const result = event.outcome?.result;
  if (result && result !== "SUCCESS") return { ignored: "not-success" };
  const version = changeVersion(event.published, event.uuid);
  const user = targetOfType(event, "User");
  const group = targetOfType(event, "UserGroup");
  const { ledger } = deps;

  switch (event.eventType) {
    case "group.profile.update": {
      if (!group?.displayName) return { ignored: "missing-target" };
      if (!knownGroups.has(group.id) && !deps.scope.includes({ id: group.id, name: group.displayName }))
        return { ignored: "out-of-scope" };
      await ledger.recordGroupName("okta", group.id, group.displayName, version);
      return { touched: [group.id] };
    }
    case "group.lifecycle.delete": {
      if (!group) return { ignored: "missing-target" };
      return (await ledger.recordGroupDeleted("okta", group.id, version))
        ? { touched: [group.id] }
        : { ignored: "unknown-group" };
    }
    case "user.lifecycle.create":
      return { ignored: "not-in-a-synced-group-yet" };
    case "user.account.update_profile": {
      if (!user) return { ignored: "missing-target" };
      const requested = await ledger.requestUserProfile("okta", user.id, version, { onlyIfKnown: true });
      return requested ? touchGroupsOfUser(deps, user.id) : { ignored: "unknown-user" };
    }
    default: {
      if (!user) return { ignored: "missing-target" };
      if (event.eventType.startsWith("application.")) {
        const app = targetOfType(event, "AppInstance");
        if (!deps.oktaAppId || app?.id !== deps.oktaAppId) return { ignored: "other-app" };
      }
      const lifecycle = lifecycleByEventType[event.eventType] as UserLifecycle;
      if (!(await ledger.recordUserLifecycle("okta", user.id, lifecycle, version)))
        return { ignored: "unknown-user" };
      if (lifecycle === "deleted") {
        const groupIds = await ledger.listGroupIdsOfUser("okta", user.id);
        for (const groupId of groupIds)
          await ledger.recordDesiredMembership("okta", groupId, user.id, false, version);
      }
      return touchGroupsOfUser(deps, user.id);
    }
  }
}

/** A user-only change is carried by the groups the user is in: they are marked dirty and re-synced. */
async function touchGroupsOfUser(deps: OktaIngestDependencies, userId: string): Promise<Outcome> {
  const groupIds = await deps.ledger.listGroupIdsOfUser("okta", userId);
  await deps.ledger.markGroupsDirty("okta", groupIds);
  return { touched: groupIds };
}
