import { randomUUID } from "node:crypto";

export interface EventTarget {
  id: string;
  type: "User" | "UserGroup" | "AppInstance" | "AppUser";
  displayName?: string;
  alternateId?: string;
}

/** One System Log event as Okta puts it in a hook delivery (reference/protocols.md §A7). */
export function oktaLogEvent(
  eventType: string,
  targets: EventTarget[],
  options: { published?: Date | string; uuid?: string; outcome?: string } = {},
): Record<string, unknown> {
  const published = options.published ?? new Date();
  return {
    uuid: options.uuid ?? randomUUID(),
    published: typeof published === "string" ? published : published.toISOString(),
    eventType,
    version: "0",
    severity: "INFO",
    displayMessage: eventType,
    actor: {
      id: "00uadmin000000000000",
      type: "User",
      alternateId: "admin@example.com",
      displayName: "Admin",
      detailEntry: null,
    },
    outcome: { result: options.outcome ?? "SUCCESS", reason: null },
    target: targets.map((target) => ({
      alternateId: "unknown",
      displayName: target.id,
      detailEntry: null,
      ...target,
    })),
    transaction: { type: "WEB", id: randomUUID(), detail: {} },
  };
}

/** The envelope Okta POSTs to an event hook, with several events amalgamated. */
export function oktaDelivery(events: Record<string, unknown>[]): Record<string, unknown> {
  return {
    eventType: "com.okta.event_hook",
    eventTypeVersion: "1.0",
    cloudEventsVersion: "0.1",
    source: "https://example.okta.com/api/v1/eventHooks/whoLocalSample0000001",
    eventId: randomUUID(),
    eventTime: new Date().toISOString(),
    contentType: "application/json",
    data: { events },
  };
}

export function membershipEvent(
  op: "add" | "remove",
  user: { id: string; login?: string },
  group: { id: string; name: string },
  options: { published?: Date | string; uuid?: string; outcome?: string } = {},
): Record<string, unknown> {
  return oktaLogEvent(
    `group.user_membership.${op}`,
    [
      { id: user.id, type: "User", alternateId: user.login ?? user.id, displayName: user.login ?? user.id },
      { id: group.id, type: "UserGroup", displayName: group.name },
    ],
    options,
  );
}
