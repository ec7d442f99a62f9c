import type { SubscriptionRecord } from "./ledger-records";

/** Graph subscriptions we own and the delta links that resume each round. */
export interface EntraSyncState {
  getSubscription(resource: string): Promise<SubscriptionRecord | undefined>;

  recordSubscription(record: SubscriptionRecord): Promise<void>;

  listSubscriptions(): Promise<SubscriptionRecord[]>;

  getDeltaLink(name: string): Promise<string | undefined>;

  recordDeltaLink(name: string, deltaLink: string | undefined): Promise<void>;
}
