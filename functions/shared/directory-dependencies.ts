import type { ServiceConfig } from "../../core/config";
import type { IdentitySource } from "../../core/domain/identity-source";
import type { IdentityDirectory } from "../../core/ports/identity-directory";
import type { Ledger } from "../../core/ports/ledger";
import type { SecretStore } from "../../core/ports/secret-store";
import { type EntraDependencies, entraDependencies } from "./entra-dependencies";
import { oktaDirectoryOnce } from "./okta-dependencies";

export interface DirectoryDependencies {
  directoryFor(source: IdentitySource): Promise<IdentityDirectory>;
  /** The directories of the identity sources this deployment is configured for, and no other. */
  configuredDirectories(): Promise<Partial<Record<IdentitySource, IdentityDirectory>>>;
}

/** Whether this deployment reads Entra at all: an Okta-only stage never builds a Graph client. */
export function entraConfigured(config: ServiceConfig): boolean {
  return Boolean(config.entra.tenantId || config.entra.secretId);
}

/** The IdP readers, each built on first use, for the functions that re-read the IdP. */
export function directoryDependencies(
  config: ServiceConfig,
  secrets: SecretStore,
  ledger: Ledger,
): DirectoryDependencies & EntraDependencies {
  const okta = oktaDirectoryOnce(config, secrets);
  const entra = entraDependencies(config, secrets, ledger);
  return {
    ...entra,
    directoryFor: async (source) => (source === "okta" ? okta() : entra.entraDirectory()),
    configuredDirectories: async () => {
      const directories: Partial<Record<IdentitySource, IdentityDirectory>> = {};
      if (config.okta.orgUrl) directories.okta = await okta();
      if (entraConfigured(config)) directories.entra = await entra.entraDirectory();
      return directories;
    },
  };
}
