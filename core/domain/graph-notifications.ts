import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * Microsoft Graph change notifications for /users and /groups (reference/protocols.md §C3, §C5).
 * Items are parsed one by one so one malformed item does not drop its neighbours. `@removed` is a
 * string in notifications and an object in delta responses: both are accepted.
 */
const RemovedSchema = z.union([z.string(), z.looseObject({ reason: z.string().optional() })]);

/** Graph's ids are GUIDs; anything far longer cannot be one, and could not be a DynamoDB key. */
const graphId = z.string().min(1).max(255);

export const MemberDeltaSchema = z.looseObject({
  id: graphId,
  "@odata.type": z.string().optional(),
  "@removed": RemovedSchema.optional(),
});

export const ChangeNotificationSchema = z.looseObject({
  subscriptionId: graphId,
  clientState: z.string().nullish(),
  changeType: z.string().min(1).max(64),
  resource: z.string().min(1).max(512),
  tenantId: z.string().optional(),
  resourceData: z
    .looseObject({
      "@odata.type": z.string().optional(),
      id: graphId,
      eventTime: z.string().optional(),
      sequenceNumber: z.union([z.number(), z.string()]).optional(),
      "members@delta": z.array(MemberDeltaSchema).optional(),
    })
    .optional(),
});
export type ChangeNotification = z.infer<typeof ChangeNotificationSchema>;

export const LifecycleNotificationSchema = z.looseObject({
  subscriptionId: z.string().min(1),
  clientState: z.string().nullish(),
  lifecycleEvent: z.string().min(1),
  tenantId: z.string().optional(),
  subscriptionExpirationDateTime: z.string().optional(),
});
export type LifecycleNotification = z.infer<typeof LifecycleNotificationSchema>;

export const NotificationBatchSchema = z.object({ value: z.array(z.unknown()).min(1).max(1_000) });

/** `Groups/{id}` or `Users/{id}` → the kind and id, whatever the casing Graph used. */
export function notifiedResource(notification: ChangeNotification): {
  kind: "group" | "user" | "other";
  id: string;
} {
  const type = notification.resourceData?.["@odata.type"]?.toLowerCase() ?? "";
  const [collection, id] = notification.resource.split("/");
  const kind =
    type.endsWith(".group") || collection?.toLowerCase() === "groups"
      ? "group"
      : type.endsWith(".user") || collection?.toLowerCase() === "users"
        ? "user"
        : "other";
  return { kind, id: notification.resourceData?.id ?? id ?? "" };
}

/**
 * What identifies a delivery of a notification, for spotting Graph's redeliveries (it resends what
 * got no 2xx within 3 s, for up to 4 h). Built only from fields every user and group notification
 * has: `sequenceNumber` shows in some captured payloads but not in the documented `resourceData`,
 * and the notification's own `id` is optional, so neither can be relied on. `resourceData` enters
 * as a digest, which covers `eventTime`, `sequenceNumber` and `members@delta` whenever they are sent.
 */
export function notificationDedupeKey(notification: ChangeNotification): string {
  const { subscriptionId, resource, changeType } = notification;
  return `${subscriptionId}/${resource}/${changeType}/${resourceDataDigest(notification)}`;
}

/**
 * A short sha256 of `resourceData` as JSON with sorted keys, so the same payload gives the same
 * digest whatever order Graph (or a proxy) wrote its keys in. Arrays keep their order.
 */
export function resourceDataDigest(notification: ChangeNotification): string {
  return createHash("sha256")
    .update(stableJson(notification.resourceData ?? null))
    .digest("hex")
    .slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${stableJson(field)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
