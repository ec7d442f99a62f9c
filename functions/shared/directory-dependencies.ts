import type { ServiceConfig } from "../../core/config";
import type { IdentitySource } from "../../core/domain/identity-source";
import type { IdentityDirectory } from "../../core/ports/identity-directory";
import type { Ledger } from "../../core/ports/ledger";
import type { SecretStore } from "../../core/ports/secret-store";
import type { EntraDependencies } from "./entra-dependencies";

export interface DirectoryDependencies {
  directoryFor(source: IdentitySource): Promise<IdentityDirectory>;
  /**
   * The directories of the identity sources this deployment is configured for, and no other. Each
   * is built on its first read, so a source whose settings or secret are broken fails its own reads
   * (its run phases, its groups) and never the other source's.
   */
  configuredDirectories(): Promise<Partial<Record<IdentitySource, IdentityDirectory>>>;
}

/** Whether this deployment reads Entra at all: an Okta-only stage never builds a Graph client. */
export function entraConfigured(config: ServiceConfig): boolean {
  return Boolean(config.entra.tenantId || config.entra.secretId);
}

/**
 * The IdP readers, each loaded on first use: okta-sdk-nodejs and the Graph client are evaluated
 * only when that IdP is read, so a cold start pays for neither until then, and an Okta-only stage
 * never loads Graph (nor an Entra-only one Okta).
 */
export function directoryDependencies(
  config: ServiceConfig,
  secrets: SecretStore,
  ledger: Ledger,
): DirectoryDependencies & EntraDependencies {
  let entra: Promise<EntraDependencies> | undefined;
  const loadEntra = () =>
    (entra ??= import("./entra-dependencies").then((module) =>
      module.entraDependencies(config, secrets, ledger),
    ));
  let okta: Promise<() => Promise<IdentityDirectory>> | undefined;
  const loadOkta = () =>
    (okta ??= import("./okta-dependencies").then((module) => module.oktaDirectoryOnce(config, secrets)));
  const oktaDirectory = async () => (await loadOkta())();
  const entraDirectory = async () => (await loadEntra()).entraDirectory();
  return {
    entraDirectory,
    entraSubscriptions: async (notificationBaseUrl) =>
      (await loadEntra()).entraSubscriptions(notificationBaseUrl),
    directoryFor: (source) => (source === "okta" ? oktaDirectory() : entraDirectory()),
    configuredDirectories: async () => {
      const directories: Partial<Record<IdentitySource, IdentityDirectory>> = {};
      if (config.okta.orgUrl) directories.okta = builtOnFirstRead(oktaDirectory);
      if (entraConfigured(config)) directories.entra = builtOnFirstRead(entraDirectory);
      return directories;
    },
  };
}

/**
 * Built again on each read until it can be (the loaders keep what they built), so a secret filled
 * in later is picked up without a cold start. Has no `checkAccess`: the doctor probes through
 * `directoryFor`, where a failure to build is itself the finding.
 */
function builtOnFirstRead(load: () => Promise<IdentityDirectory>): IdentityDirectory {
  return {
    getUser: async (id) => (await load()).getUser(id),
    readUsers: async (ids) => (await load()).readUsers(ids),
    listGroupMembers: async (groupId) => (await load()).listGroupMembers(groupId),
    listGroupsOfUser: async (userId) => (await load()).listGroupsOfUser(userId),
    listGroups: async () => (await load()).listGroups(),
  };
}
