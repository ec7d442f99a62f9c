import { ScimHttpClient } from "../../core/adapters/scim/scim-http-client";
import type { ServiceConfig } from "../../core/config";
import type { KiroScimPort } from "../../core/ports/kiro-scim";
import type { Ledger } from "../../core/ports/ledger";
import type { SecretStore } from "../../core/ports/secret-store";
import { KiroCallTally } from "../../core/use-cases/kiro-call-tally";
import { matchesKiroTarget } from "../../core/use-cases/reprovision";
import { type KiroCredentials, resolveKiroCredentials } from "../../core/use-cases/resolve-secrets";

export interface KiroDependencies {
  /**
   * Re-resolved on each call (the secret store caches for five minutes), so a rotated Kiro token is
   * picked up; `fresh` reads the secret now, for the probe of a sync paused on a refused token.
   */
  kiroScim(options?: { fresh?: boolean }): Promise<KiroScimPort>;
  kiroCredentials(options?: { fresh?: boolean }): Promise<KiroCredentials>;
  /** Every answer the clients met, until a group pass records them. */
  kiroCalls: KiroCallTally;
}

/**
 * Kiro as the secret holds it now. The secret store caches for five minutes; a cached endpoint
 * that disagrees with the one the ledger recorded is read again first, so a warm Lambda never
 * acts on a URL or token an operator replaced minutes ago (two workers flip-flopping a
 * re-provisioning between the old and the new profile).
 */
export async function currentKiro(
  deps: KiroDependencies & { ledger: Ledger },
): Promise<KiroCredentials & { scim: KiroScimPort }> {
  let endpoint = await deps.kiroCredentials();
  if (!matchesKiroTarget(endpoint, await deps.ledger.getKiroTarget()))
    endpoint = await deps.kiroCredentials({ fresh: true });
  return { ...endpoint, scim: await deps.kiroScim() };
}

/** One SCIM client per endpoint and token, kept while they stay the same. */
export function kiroDependencies(config: ServiceConfig, secrets: SecretStore): KiroDependencies {
  let scim: { key: string; client: ScimHttpClient } | undefined;
  const kiroCalls = new KiroCallTally();
  return {
    kiroScim: async (options) => {
      const credentials = await resolveKiroCredentials(config, secrets, options);
      const key = `${credentials.url} ${credentials.token}`;
      if (scim?.key !== key) {
        const client = new ScimHttpClient({
          baseUrl: credentials.url,
          token: credentials.token,
          currentToken: async () => {
            const latest = await resolveKiroCredentials(config, secrets, { fresh: true });
            return latest.url === credentials.url ? latest.token : credentials.token;
          },
          requestTimeoutMs: config.scimRequestTimeoutMs,
          retryPolicy: config.retryPolicy,
          onAnswer: (status) => kiroCalls.record(status),
        });
        scim = { key, client };
      }
      return scim.client;
    },
    kiroCredentials: (options) => resolveKiroCredentials(config, secrets, options),
    kiroCalls,
  };
}
