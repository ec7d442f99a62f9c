import { createGraphClient, GraphDirectory } from "../../core/adapters/graph/graph-directory";
import { GraphSubscriptions } from "../../core/adapters/graph/graph-subscriptions";
import type { ServiceConfig } from "../../core/config";
import { SyncError } from "../../core/domain/errors";
import type { Ledger } from "../../core/ports/ledger";
import type { SecretStore } from "../../core/ports/secret-store";
import { EntraSubscriptionManager } from "../../core/use-cases/manage-entra-subscriptions";
import { resolveEntraSettings } from "../../core/use-cases/resolve-secrets";

export interface EntraDependencies {
  entraDirectory(): Promise<GraphDirectory>;
  /** `notificationBaseUrl` stands in when ENTRA_NOTIFICATION_BASE_URL is unset (the API's own URL). */
  entraSubscriptions(notificationBaseUrl?: string): Promise<EntraSubscriptionManager>;
}

/** Graph clients, rebuilt when the secret's credentials change, so a rotated client secret needs no redeploy. */
export function entraDependencies(
  config: ServiceConfig,
  secrets: SecretStore,
  ledger: Ledger,
): EntraDependencies {
  let graph: { key: string; directory: GraphDirectory; subscriptions: GraphSubscriptions } | undefined;
  const managers = new Map<string, EntraSubscriptionManager>();
  const clients = async () => {
    const settings = await resolveEntraSettings(config, secrets);
    const key = JSON.stringify(settings.credentials);
    if (graph?.key !== key) {
      graph = {
        key,
        directory: new GraphDirectory(settings.credentials),
        subscriptions: new GraphSubscriptions(createGraphClient(settings.credentials)),
      };
      managers.clear();
    }
    return { ...graph, clientState: settings.clientState };
  };
  return {
    entraDirectory: async () => (await clients()).directory,
    entraSubscriptions: async (fallbackBaseUrl) => {
      const current = await clients();
      const base = (config.entra.notificationBaseUrl ?? fallbackBaseUrl)?.replace(/\/$/, "");
      if (!base)
        throw new SyncError("CONFIG.MISSING", "ENTRA_NOTIFICATION_BASE_URL is not configured", {
          retryable: false,
        });
      let manager = managers.get(base);
      if (!manager) {
        manager = new EntraSubscriptionManager(ledger, current.subscriptions, {
          notificationUrl: `${base}/entra/notifications`,
          lifecycleNotificationUrl: `${base}/entra/lifecycle`,
          clientState: current.clientState,
        });
        managers.set(base, manager);
      }
      return manager;
    },
  };
}
