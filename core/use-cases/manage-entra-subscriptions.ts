import { asError } from "../domain/errors";
import type { EntraSyncState } from "../ports/entra-sync-state";
import type { SubscriptionRecord } from "../ports/ledger-records";
import type { SubscriptionClient } from "../ports/subscription-client";
import type { SubscriptionManager } from "./receive-entra-notifications";

export interface SubscriptionSettings {
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  clientState: string;
  /** One subscription per resource, never per group: 100 per app per tenant is Graph's cap. */
  resources?: readonly string[];
  /** Graph allows 41,760 minutes for directory objects; a little less leaves room for clock skew. */
  lifetimeMinutes?: number;
  /** Renew when less than this is left, so several failed runs still fit before expiry. */
  renewWithinHours?: number;
}

export interface SubscriptionRun {
  created: string[];
  renewed: string[];
  failed: { resource: string; error: string }[];
}

/**
 * Keeps one /groups and one /users subscription alive: adopts or creates what the ledger has no
 * record of, renews well before expiry, replaces one Graph no longer has or will not renew, and
 * records every other failure (throttling, an outage: the next round tries again) on the
 * subscription so `/status` can raise "expires in < 24 h and renewal failed" before it lapses.
 */
export class EntraSubscriptionManager implements SubscriptionManager {
  constructor(
    private readonly ledger: EntraSyncState,
    private readonly client: SubscriptionClient,
    private readonly settings: SubscriptionSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async ensure(): Promise<SubscriptionRun> {
    const run: SubscriptionRun = { created: [], renewed: [], failed: [] };
    const renewWithinMs = (this.settings.renewWithinHours ?? 72) * 3_600_000;
    for (const resource of this.settings.resources ?? ["groups", "users"]) {
      const record = await this.ledger.getSubscription(resource);
      try {
        if (!record) {
          run[(await this.keepOne(resource)) ? "renewed" : "created"].push(resource);
        } else if (Date.parse(record.expiresAt) - this.now().getTime() < renewWithinMs) {
          run[(await this.renewRecord(record)) ? "renewed" : "created"].push(resource);
        }
      } catch (error) {
        run.failed.push({ resource, error: asError(error).message });
        if (record) {
          await this.ledger.recordSubscription({
            ...record,
            renewalError: asError(error).message.slice(0, 500),
            renewalFailedAt: this.now().toISOString(),
          });
        }
      }
    }
    return run;
  }

  async renew(subscriptionId: string): Promise<void> {
    const record = (await this.ledger.listSubscriptions()).find(
      (candidate) => candidate.subscriptionId === subscriptionId,
    );
    if (record) await this.renewRecord(record);
  }

  /** After `missed` or `subscriptionRemoved`: one subscription of ours for that resource again. */
  async recover(subscriptionId: string): Promise<void> {
    const record = (await this.ledger.listSubscriptions()).find(
      (candidate) => candidate.subscriptionId === subscriptionId,
    );
    if (record) await this.keepOne(record.resource);
  }

  /** Renews, or replaces when Graph no longer has it or refuses it for good; true when it was a renewal. */
  private async renewRecord(record: SubscriptionRecord): Promise<boolean> {
    const renewed = await this.client.renew(record.subscriptionId, this.expiry());
    if (!renewed) return this.keepOne(record.resource, record.subscriptionId);
    await this.ledger.recordSubscription({
      resource: record.resource,
      subscriptionId: record.subscriptionId,
      expiresAt: renewed.expiresAt,
    });
    return true;
  }

  /**
   * Graph keeps a subscription after `missed` and counts every one toward its 100 per app, and each
   * delivers every change; a ledger that lost its record (a restored or recreated table) would
   * otherwise add one more: of the subscriptions Graph holds for our notification URL and this
   * resource, the one that lives longest is renewed and the others deleted; a new one is created
   * only when none is left. `unrenewable` just failed its renewal and is only deleted. True when an
   * existing one was kept.
   */
  private async keepOne(resource: string, unrenewable?: string): Promise<boolean> {
    const ours = (await this.client.list())
      .filter((each) => each.resource === resource && each.notificationUrl === this.settings.notificationUrl)
      .sort((a, b) => Date.parse(b.expiresAt) - Date.parse(a.expiresAt));
    let kept: { subscriptionId: string; expiresAt: string } | undefined;
    for (const candidate of ours) {
      const renewed =
        kept || candidate.id === unrenewable
          ? undefined
          : await this.client.renew(candidate.id, this.expiry());
      if (renewed) kept = { subscriptionId: candidate.id, expiresAt: renewed.expiresAt };
      else await this.client.delete(candidate.id);
    }
    if (!kept) {
      await this.create(resource);
      return false;
    }
    await this.ledger.recordSubscription({ resource, ...kept });
    return true;
  }

  private async create(resource: string): Promise<void> {
    const created = await this.client.create({
      resource,
      notificationUrl: this.settings.notificationUrl,
      lifecycleNotificationUrl: this.settings.lifecycleNotificationUrl,
      clientState: this.settings.clientState,
      expiresAt: this.expiry(),
    });
    await this.ledger.recordSubscription({
      resource,
      subscriptionId: created.id,
      expiresAt: created.expiresAt,
    });
  }

  private expiry(): Date {
    return new Date(this.now().getTime() + (this.settings.lifetimeMinutes ?? 41_000) * 60_000);
  }
}
