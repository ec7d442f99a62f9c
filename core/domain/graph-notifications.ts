import { z } from "zod";

/**
 * Microsoft Graph change notifications for /users and /groups (reference/protocols.md §C3, §C5).
 * Items are parsed one by one so one malformed item does not drop its neighbours. `@removed` is a
 * string in notifications and an object in delta responses: both are accepted.
 */
const RemovedSchema = z.union([z.string(), z.looseObject({ reason: z.string().optional() })]);

export const MemberDeltaSchema = z.looseObject({
  id: z.string().min(1),
  "@odata.type": z.string().optional(),
  "@removed": RemovedSchema.optional(),
});

export const ChangeNotificationSchema = z.looseObject({
  subscriptionId: z.string().min(1),
  clientState: z.string().nullish(),
  changeType: z.string().min(1),
  resource: z.string().min(1),
  tenantId: z.string().optional(),
  resourceData: z
    .looseObject({
      "@odata.type": z.string().optional(),
      id: z.string().min(1),
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
