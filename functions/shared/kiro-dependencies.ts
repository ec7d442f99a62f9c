import { ScimHttpClient } from "../../core/adapters/scim/scim-http-client";
import type { ServiceConfig } from "../../core/config";
import type { KiroScimPort } from "../../core/ports/kiro-scim";
import type { SecretStore } from "../../core/ports/secret-store";
import { type KiroCredentials, resolveKiroCredentials } from "../../core/use-cases/resolve-secrets";

export interface KiroDependencies {
  /**
   * Re-resolved on each call (the secret store caches for five minutes), so a rotated Kiro token is
   * picked up; `fresh` reads the secret now, for the probe of a sync paused on a refused token.
   */
  kiroScim(options?: { fresh?: boolean }): Promise<KiroScimPort>;
  kiroCredentials(): Promise<KiroCredentials>;
}

/** One SCIM client per endpoint and token, kept while they stay the same. */
export function kiroDependencies(config: ServiceConfig, secrets: SecretStore): KiroDependencies {
  let scim: { key: string; client: ScimHttpClient } | undefined;
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
        });
        scim = { key, client };
      }
      return scim.client;
    },
    kiroCredentials: () => resolveKiroCredentials(config, secrets),
  };
}
