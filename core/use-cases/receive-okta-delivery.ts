import { secretsMatch } from "../domain/constant-time";
import {
  compactOktaEvent,
  type OktaHookDelivery,
  OktaHookDeliverySchema,
  oktaDeliveryId,
  screenOktaEvents,
} from "../domain/okta-events";
import type { DeliveryInbox } from "../ports/delivery-inbox";
import type { EventBus } from "../ports/event-bus";
import type { HookRejections } from "../ports/hook-rejections";
import {
  type HookAnswer,
  type HookRequest,
  hookRejectionsOf,
  type IngestSummary,
  recordHookRejections,
  rejectedEventCount,
} from "./hook-request";

export interface ReceiveOktaDependencies {
  ledger: DeliveryInbox & HookRejections;
  bus: EventBus;
  hookSecret: string;
  maxBodyBytes: number;
}

/**
 * Okta's event hook endpoint: the one-time verification GET, then authenticated deliveries. An
 * authenticated request costs one write: the kept delivery (which carries the count of events
 * refused in it, for the ingest to record), or, when nothing was kept, the rejection `/status`
 * counts. A request that did not prove the secret (POST is checked first) writes nothing.
 */
export async function receiveOktaDelivery(
  request: HookRequest,
  deps: ReceiveOktaDependencies,
): Promise<HookAnswer> {
  const answer = await answerOktaDelivery(request, deps);
  const authenticated = request.method === "POST" && answer.status !== 401;
  if (authenticated && !answer.summary?.queued)
    await recordHookRejections(hookRejectionsOf("okta", answer, new Date()), deps.ledger);
  return answer;
}

/**
 * Checks run cheapest and most revealing last: authentication before size, type and parsing, so an
 * unauthenticated caller learns nothing about what we accept, and no delivery is kept unless the
 * secret matched and the payload validated.
 */
async function answerOktaDelivery(request: HookRequest, deps: ReceiveOktaDependencies): Promise<HookAnswer> {
  if (request.method === "GET") {
    const challenge = request.headers["x-okta-verification-challenge"];
    if (!challenge)
      return {
        status: 400,
        body: { message: "missing x-okta-verification-challenge header" },
        rejection: "malformed",
      };
    return { status: 200, body: { verification: challenge } };
  }
  if (request.method !== "POST")
    return { status: 405, body: { message: "use GET or POST" }, rejection: "method" };
  if (!secretsMatch(request.headers.authorization, deps.hookSecret)) {
    return { status: 401, body: { message: "unauthenticated" }, rejection: "unauthenticated" };
  }
  const body = request.body ?? "";
  if (Buffer.byteLength(body, "utf8") > deps.maxBodyBytes) {
    return {
      status: 413,
      body: { message: `body larger than ${deps.maxBodyBytes} bytes` },
      rejection: "too-large",
    };
  }
  const contentType = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    return {
      status: 415,
      body: { message: "content-type must be application/json" },
      rejection: "unsupported-media-type",
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { status: 400, body: { message: "body is not valid JSON" }, rejection: "malformed" };
  }
  const parsed = OktaHookDeliverySchema.safeParse(json);
  if (!parsed.success) {
    const reasons = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`);
    return {
      status: 400,
      body: { message: "not an Okta event hook delivery", reasons },
      rejection: "malformed",
    };
  }
  return { status: 204, summary: await keepOktaDelivery(parsed.data, deps) };
}

/**
 * Acknowledge first, then queue the work (reference/protocols.md §1): the delivery's handled
 * events are kept in one write and announced, and the ingest worker records their changes. Under
 * load the ledger's conditional transactions took the answer past Okta's budget; one put does not,
 * whatever the delivery's size. Nothing is lost in between: the delivery stays until ingested.
 */
async function keepOktaDelivery(
  delivery: OktaHookDelivery,
  deps: Pick<ReceiveOktaDependencies, "ledger" | "bus">,
): Promise<IngestSummary> {
  const screened = screenOktaEvents(delivery.data.events);
  const summary: IngestSummary = {
    events: delivery.data.events.length,
    queued: screened.events.length,
    recorded: 0,
    duplicates: 0,
    ignored: screened.ignored,
    unknownTypes: screened.unknownTypes,
    rejected: screened.rejected,
    groupsTouched: 0,
  };
  if (screened.events.length === 0) return summary;
  const deliveryId = oktaDeliveryId(screened.events);
  await deps.ledger.keepDelivery(
    "okta",
    deliveryId,
    screened.events.map(compactOktaEvent),
    rejectedEventCount(summary),
  );
  await deps.bus.publish([{ type: "DeliveryReceived", detail: { source: "okta", deliveryId } }]);
  return summary;
}
