import type { Client } from "@microsoft/microsoft-graph-client";
import { SyncError } from "../../domain/errors";
import type { SubscriptionClient } from "../../ports/subscription-client";
import { tokenFailure } from "./graph-directory";

/** Graph /subscriptions for users and groups: `updated,deleted` only, TLS 1.2, lifecycle URL set at creation. */
export class GraphSubscriptions implements SubscriptionClient {
  constructor(private readonly client: Client) {}

  async create(request: {
    resource: string;
    notificationUrl: string;
    lifecycleNotificationUrl: string;
    clientState: string;
    expiresAt: Date;
  }): Promise<{ id: string; expiresAt: string }> {
    try {
      const created = (await this.client.api("/subscriptions").post({
        changeType: "updated,deleted",
        resource: request.resource,
        notificationUrl: request.notificationUrl,
        lifecycleNotificationUrl: request.lifecycleNotificationUrl,
        clientState: request.clientState,
        expirationDateTime: request.expiresAt.toISOString(),
        latestSupportedTlsVersion: "v1_2",
      })) as { id: string; expirationDateTime: string };
      return { id: created.id, expiresAt: created.expirationDateTime };
    } catch (error) {
      throw subscriptionError("create", error);
    }
  }

  async renew(subscriptionId: string, expiresAt: Date): Promise<{ expiresAt: string } | undefined> {
    try {
      const renewed = (await this.client
        .api(`/subscriptions/${encodeURIComponent(subscriptionId)}`)
        .patch({ expirationDateTime: expiresAt.toISOString() })) as { expirationDateTime: string };
      return { expiresAt: renewed.expirationDateTime };
    } catch (error) {
      if (refusedForGood(statusOf(error))) return undefined;
      throw subscriptionError("renew", error);
    }
  }

  async list(): Promise<{ id: string; resource: string; notificationUrl: string; expiresAt: string }[]> {
    const found: { id: string; resource: string; notificationUrl: string; expiresAt: string }[] = [];
    try {
      let page = (await this.client.api("/subscriptions").get()) as SubscriptionPage;
      for (;;) {
        for (const each of page.value ?? [])
          found.push({
            id: each.id,
            resource: each.resource,
            notificationUrl: each.notificationUrl,
            expiresAt: each.expirationDateTime,
          });
        if (!page["@odata.nextLink"]) return found;
        page = (await this.client.api(page["@odata.nextLink"]).get()) as SubscriptionPage;
      }
    } catch (error) {
      throw subscriptionError("list", error);
    }
  }

  async delete(subscriptionId: string): Promise<void> {
    try {
      await this.client.api(`/subscriptions/${encodeURIComponent(subscriptionId)}`).delete();
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw subscriptionError("delete", error);
    }
  }
}

interface SubscriptionPage {
  value?: { id: string; resource: string; notificationUrl: string; expirationDateTime: string }[];
  "@odata.nextLink"?: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/**
 * A 4xx other than 429: asking again gets the same answer. A 429, a 5xx and a failure with no
 * answer (the Graph client's -1) may pass.
 */
function refusedForGood(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
}

function subscriptionError(action: string, error: unknown): SyncError {
  const failure = tokenFailure(error);
  if (failure) return failure;
  const status = statusOf(error);
  return new SyncError(
    "IDP.SUBSCRIPTION",
    `Graph refused to ${action} the subscription (${status ?? "network"}): ${(error as Error).message}`,
    { retryable: !refusedForGood(status), cause: error },
  );
}
