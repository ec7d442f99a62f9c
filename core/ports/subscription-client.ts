/** Graph change-notification subscriptions, as far as this service manages them. */
export interface SubscriptionClient {
  create(request: {
    resource: string;
    notificationUrl: string;
    lifecycleNotificationUrl: string;
    clientState: string;
    expiresAt: Date;
  }): Promise<{ id: string; expiresAt: string }>;
  /**
   * Renewing also reauthorizes. `undefined` when Graph no longer has the subscription or refuses to
   * renew it for good (a 4xx other than 429): either way only a replacement helps. A throttled or
   * failing Graph throws, and the next round tries again.
   */
  renew(subscriptionId: string, expiresAt: Date): Promise<{ expiresAt: string } | undefined>;
  /** Every subscription of this app Graph holds (all pages): ours are told apart by notification URL. */
  list(): Promise<{ id: string; resource: string; notificationUrl: string; expiresAt: string }[]>;
  /** Gone already counts as deleted. */
  delete(subscriptionId: string): Promise<void>;
}
