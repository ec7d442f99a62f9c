import { randomUUID } from "node:crypto";
import { forEachLimited } from "../domain/concurrency";
import { secretsMatch } from "../domain/constant-time";
import {
  type ChangeNotification,
  ChangeNotificationSchema,
  LifecycleNotificationSchema,
  NotificationBatchSchema,
  notificationDedupeKey,
  notifiedResource,
  resourceDataDigest,
} from "../domain/graph-notifications";
import type { GroupScope } from "../domain/group-scope";
import { changeVersion } from "../domain/identity-source";
import { countIn, newTally } from "../domain/tally";
import type { EventBus } from "../ports/event-bus";
import type { GroupRecords } from "../ports/group-records";
import type { GroupSyncState } from "../ports/group-sync-state";
import type { HookRejections } from "../ports/hook-rejections";
import type { MembershipRecords } from "../ports/membership-records";
import type { ProcessedEvents } from "../ports/processed-events";
import type { UserRecords } from "../ports/user-records";
import {
  type HookAnswer,
  type HookRequest,
  hookRejectionsOf,
  type IngestSummary,
  malformed,
  readJsonBody,
  recordHookRejections,
} from "./hook-request";

export interface EntraNotificationDependencies {
  ledger: GroupRecords & GroupSyncState & HookRejections & MembershipRecords & ProcessedEvents & UserRecords;
  bus: EventBus;
  scope: GroupScope;
  clientState: string;
  maxBodyBytes: number;
}

/**
 * Graph's validation handshake: a POST with `validationToken` in the query, answered 200 with the
 * decoded token as text/plain and nothing else, before any other check (it carries no body and no
 * clientState). Served as text/plain with nosniff, so a reflected token can never run as script.
 */
export function validationEcho(request: HookRequest): HookAnswer | undefined {
  const token = request.query?.validationToken;
  if (token === undefined) return undefined;
  return { status: 200, body: token, contentType: "text/plain; charset=utf-8" };
}

/**
 * How long a notification's dedupe key is kept. Graph retries for up to 4 h, but most retries come
 * within minutes (a slow endpoint's every 10 min), and a longer window is not free: when
 * `resourceData` carries no `eventTime` (the documented minimum is ids only), a later, genuinely
 * new change to the same object sends a byte-identical notification and is dropped. That drop is
 * usually harmless, since the re-read the first notification asked for reads Graph when the worker
 * runs, often after the second change; when the re-read ran before it, the change waits for the
 * next delta round (every 30 min) or the hourly reconcile. Payloads with an `eventTime` never
 * collide that way, and their redeliveries after the window ask for nothing new (see
 * `notificationVersion`); ids-only ones cost one more re-read.
 */
const dedupeWindowSeconds = 3600;

type Parsed<T> = { items: T[]; summary: IngestSummary } | { refusal: HookAnswer };

function parseBatch<T>(
  request: HookRequest,
  deps: { clientState: string; maxBodyBytes: number },
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
): Parsed<T & { clientState?: string | null }> {
  if (request.method !== "POST")
    return { refusal: { status: 405, body: { message: "use POST" }, rejection: "method" } };
  const read = readJsonBody(request, deps.maxBodyBytes);
  if ("refusal" in read) return { refusal: read.refusal };
  const batch = NotificationBatchSchema.safeParse(read.json);
  if (!batch.success)
    return { refusal: malformed(["value: expected a non-empty array"], "not a Graph notification batch") };
  const summary: IngestSummary = {
    events: batch.data.value.length,
    recorded: 0,
    duplicates: 0,
    ignored: newTally(),
    unknownTypes: newTally(),
    groupsTouched: 0,
  };
  const items: (T & { clientState?: string | null })[] = [];
  for (const raw of batch.data.value) {
    const item = schema.safeParse(raw);
    if (!item.success) {
      summary.ignored.malformed = (summary.ignored.malformed ?? 0) + 1;
      continue;
    }
    const parsed = item.data as T & { clientState?: string | null };
    if (!secretsMatch(parsed.clientState ?? undefined, deps.clientState)) {
      countIn(summary.ignored, "bad-client-state");
      continue;
    }
    items.push(parsed);
  }
  return { items, summary };
}

/**
 * `POST /entra/notifications`. Every item's clientState is checked in constant time; items with a
 * wrong one are dropped and counted, and the request still gets 202 (Graph would only retry).
 * A group notification marks the group for a re-read of its transitive members rather than
 * applying `members@delta`: Graph neither orders notifications nor says whether a member id is a
 * user or a group, so only a read of the group itself is right whatever arrived first. Groups
 * nested inside synced groups refresh those parents. Answers 202 once recorded. A refused request,
 * and items refused in one, are counted for `/status`.
 */
export async function receiveEntraNotifications(
  request: HookRequest,
  deps: EntraNotificationDependencies,
): Promise<HookAnswer> {
  const answer = await answerEntraNotifications(request, deps);
  await recordHookRejections(hookRejectionsOf("entra", answer, new Date()), deps.ledger);
  return answer;
}

async function answerEntraNotifications(
  request: HookRequest,
  deps: EntraNotificationDependencies,
): Promise<HookAnswer> {
  const echo = validationEcho(request);
  if (echo) return echo;
  const parsed = parseBatch(request, deps, ChangeNotificationSchema);
  if ("refusal" in parsed) return parsed.refusal;
  const { items, summary } = parsed;
  const touched = new Set<string>();
  await forEachLimited(items, 8, async (notification) => {
    const dedupeKey = notificationDedupeKey(notification);
    if (await deps.ledger.hasProcessedEvent("entra", dedupeKey)) {
      summary.duplicates += 1;
      return;
    }
    const outcome = await recordNotification(notification, deps);
    if ("ignored" in outcome) countIn(summary.ignored, outcome.ignored);
    else {
      summary.recorded += 1;
      for (const groupId of outcome.touched) touched.add(groupId);
    }
    await deps.ledger.markEventProcessed("entra", dedupeKey, dedupeWindowSeconds);
  });
  summary.groupsTouched = touched.size;
  await deps.bus.publish(
    [...touched].map((groupId) => ({
      type: "GroupChanged",
      detail: { source: "entra", groupId, trigger: "hook:entra" },
    })),
  );
  return { status: 202, summary };
}

/**
 * The same payload gets the same version, so a copy that gets past the dedupe key (redelivered
 * after the window, or sent again through a second subscription) is not newer than the refresh it
 * already asked for and starts no second re-read of the group from Graph. Without `eventTime` the
 * receipt time is the only clock, so there each delivery is newer and only the dedupe key holds.
 */
function notificationVersion(notification: ChangeNotification): string {
  const eventTime = notification.resourceData?.eventTime;
  const when = eventTime && !Number.isNaN(Date.parse(eventTime)) ? eventTime : new Date().toISOString();
  const sequence = notification.resourceData?.sequenceNumber;
  return changeVersion(when, sequence === undefined ? resourceDataDigest(notification) : `${sequence}`);
}

async function recordNotification(
  notification: ChangeNotification,
  deps: EntraNotificationDependencies,
): Promise<{ touched: string[] } | { ignored: string }> {
  const { ledger } = deps;
  const { kind, id } = notifiedResource(notification);
  const version = notificationVersion(notification);
  if (kind === "user") {
    const requested = await ledger.requestUserProfile("entra", id, version, { onlyIfKnown: true });
    // A redelivery carries the same version, which is refused for a user already asked for; if the
    // first delivery died before marking the groups, the redelivery must still mark them.
    if (!requested && !(await ledger.getUser("entra", id))) return { ignored: "unknown-user" };
    const groupIds = await ledger.listGroupIdsOfUser("entra", id);
    await ledger.markGroupsDirty("entra", groupIds);
    return { touched: groupIds };
  }
  if (kind !== "group") return { ignored: "other-resource" };

  const touched: string[] = [];
  if ((await ledger.getGroup("entra", id)) || deps.scope.includes({ id })) {
    await ledger.requestGroupRefresh("entra", id, version);
    touched.push(id);
  }
  for (const parentId of await ledger.listParentGroups("entra", id)) {
    await ledger.requestGroupRefresh("entra", parentId, version);
    touched.push(parentId);
  }
  return touched.length > 0 ? { touched } : { ignored: "out-of-scope" };
}

export interface EntraLifecycleDependencies extends EntraNotificationDependencies {
  subscriptions: SubscriptionManager;
}

/** What the lifecycle endpoint needs from the subscription manager. */
export interface SubscriptionManager {
  renew(subscriptionId: string): Promise<void>;
  /** Recreate the subscription and resync what it covered. */
  recover(subscriptionId: string): Promise<void>;
}

/**
 * `POST /entra/lifecycle`. For users and groups Graph only sends `reauthorizationRequired` (renewing
 * also reauthorizes); `subscriptionRemoved` and `missed` are handled too, by recreating the
 * subscription and resyncing, in case Graph ever sends them. Unknown events are counted.
 */
export async function receiveEntraLifecycle(
  request: HookRequest,
  deps: EntraLifecycleDependencies,
): Promise<HookAnswer> {
  const echo = validationEcho(request);
  if (echo) return echo;
  const parsed = parseBatch(request, deps, LifecycleNotificationSchema);
  if ("refusal" in parsed) return parsed.refusal;
  const { items, summary } = parsed;
  let resync = false;
  for (const item of items) {
    if (item.lifecycleEvent === "reauthorizationRequired") {
      await deps.subscriptions.renew(item.subscriptionId);
    } else if (item.lifecycleEvent === "subscriptionRemoved" || item.lifecycleEvent === "missed") {
      await deps.subscriptions.recover(item.subscriptionId);
      resync = true;
    } else {
      countIn(summary.unknownTypes, item.lifecycleEvent);
      continue;
    }
    summary.recorded += 1;
  }
  if (resync) summary.groupsTouched = await resyncKnownGroups(deps);
  return { status: 202, summary };
}

/** Notifications may have been lost: every synced Entra group is re-read in full. */
async function resyncKnownGroups(deps: EntraNotificationDependencies): Promise<number> {
  const version = changeVersion(new Date(), `resync-${randomUUID()}`);
  const groups = await deps.ledger.listGroups("entra", 100_000);
  await forEachLimited(groups, 8, async (group) => {
    await deps.ledger.requestGroupRefresh("entra", group.idpId, version);
  });
  await deps.bus.publish(
    groups.map((group) => ({
      type: "GroupChanged",
      detail: { source: "entra", groupId: group.idpId, trigger: "lifecycle:entra" },
    })),
  );
  return groups.length;
}
