import { forEachLimited } from "../domain/concurrency";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion } from "../domain/identity-source";
import {
  handledOktaEventTypes,
  type OktaHookDelivery,
  type OktaLogEvent,
  targetOfType,
} from "../domain/okta-events";
import type { EventBus } from "../ports/event-bus";
import type { Ledger, UserLifecycle } from "../ports/ledger";
import type { IngestSummary } from "./hook-request";

export interface OktaIngestDependencies {
  ledger: Ledger;
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
 * Records an Okta delivery in the ledger and publishes one GroupChanged per touched group. No SCIM
 * or Okta call happens here: Okta gives a hook 3 s. An event is marked processed only after its
 * change is recorded, so a crash mid-delivery loses nothing (Okta retries once; the recorded
 * writes are newer-wins and replay harmlessly).
 */
export async function ingestOktaEvents(
  delivery: OktaHookDelivery,
  deps: OktaIngestDependencies,
): Promise<IngestSummary> {
  const summary: IngestSummary = {
    events: 0,
    recorded: 0,
    duplicates: 0,
    ignored: {},
    unknownTypes: {},
    groupsTouched: 0,
  };
  const touched = new Set<string>();
  const newestNameEvent = newestMembershipEventPerGroup(delivery.data.events);
  const events = delivery.data.events;
  summary.events = events.length;
  await forEachLimited(events, 16, async (event) => {
    if (!(handledOktaEventTypes as readonly string[]).includes(event.eventType)) {
      summary.unknownTypes[event.eventType] = (summary.unknownTypes[event.eventType] ?? 0) + 1;
      return;
    }
    if (await deps.ledger.hasProcessedEvent("okta", event.uuid)) {
      summary.duplicates += 1;
      return;
    }
    const outcome = await recordOktaEvent(event, deps, newestNameEvent);
    if ("ignored" in outcome) summary.ignored[outcome.ignored] = (summary.ignored[outcome.ignored] ?? 0) + 1;
    else {
      summary.recorded += 1;
      for (const groupId of outcome.touched) touched.add(groupId);
    }
    await deps.ledger.markEventProcessed("okta", event.uuid);
  });
  summary.groupsTouched = touched.size;
  await deps.bus.publish(
    [...touched].map((groupId) => ({ type: "GroupChanged", detail: { source: "okta", groupId } })),
  );
  return summary;
}

/**
 * Only the newest membership event of a group in a delivery can set its name, so only that one
 * writes it: a delivery of 1,000 adds to one group makes one group-name write, not 1,000.
 */
function newestMembershipEventPerGroup(events: readonly OktaLogEvent[]): Map<string, string> {
  const newest = new Map<string, string>();
  for (const event of events) {
    if (!event.eventType.startsWith("group.user_membership.")) continue;
    const group = targetOfType(event, "UserGroup");
    if (!group?.displayName) continue;
    const version = changeVersion(event.published, event.uuid);
    if ((newest.get(group.id) ?? "") < version) newest.set(group.id, version);
  }
  return newest;
}

async function recordOktaEvent(
  event: OktaLogEvent,
  deps: OktaIngestDependencies,
  newestNameEvent: ReadonlyMap<string, string>,
): Promise<Outcome> {
  const result = event.outcome?.result;
  if (result && result !== "SUCCESS") return { ignored: "not-success" };
  const version = changeVersion(event.published, event.uuid);
  const user = targetOfType(event, "User");
  const group = targetOfType(event, "UserGroup");
  const { ledger } = deps;

  switch (event.eventType) {
    case "group.user_membership.add":
    case "group.user_membership.remove": {
      if (!user || !group) return { ignored: "missing-target" };
      if (!deps.scope.includes({ id: group.id, name: group.displayName })) return { ignored: "out-of-scope" };
      const add = event.eventType.endsWith(".add");
      if (group.displayName && newestNameEvent.get(group.id) === version) {
        await ledger.recordGroupName("okta", group.id, group.displayName, version);
      }
      if (add)
        await ledger.requestUserProfile("okta", user.id, version, {
          onlyIfKnown: false,
          onlyIfNoProfile: true,
        });
      await ledger.recordDesiredMembership("okta", group.id, user.id, add, version);
      return { touched: [group.id] };
    }
    case "group.profile.update": {
      if (!group?.displayName) return { ignored: "missing-target" };
      const known = await ledger.getGroup("okta", group.id);
      if (!known && !deps.scope.includes({ id: group.id, name: group.displayName }))
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
