import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SecretsManagerStore } from "../../core/adapters/secrets/secrets-manager-store";
import type { ServiceConfig } from "../../core/config";
import type { SecretStore } from "../../core/ports/secret-store";
import {
  resolveAdminToken,
  resolveEntraSettings,
  resolveOktaHookSecret,
  resolveStatusToken,
} from "../../core/use-cases/resolve-secrets";

/** The shared secrets the HTTP functions check callers against; none of them needs an IdP client. */
export interface SecretDependencies {
  oktaHookSecret(): Promise<string>;
  /** Reads only. */
  statusToken(): Promise<string>;
  /** `/admin/*`; the Admin function is the only one whose role may read its secret. */
  adminToken(): Promise<string>;
  entraClientState(): Promise<string>;
}

/** Secrets Manager with its five-minute cache, so a rotated secret needs no redeploy. */
export function secretsManager(): SecretStore {
  return new SecretsManagerStore(new SecretsManagerClient({}));
}

export function secretDependencies(config: ServiceConfig, secrets: SecretStore): SecretDependencies {
  return {
    oktaHookSecret: () => resolveOktaHookSecret(config, secrets),
    statusToken: () => resolveStatusToken(config, secrets),
    adminToken: () => resolveAdminToken(config, secrets),
    entraClientState: async () => (await resolveEntraSettings(config, secrets)).clientState,
  };
}
