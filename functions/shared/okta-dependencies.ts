import { OktaDirectory } from "../../core/adapters/okta/okta-directory";
import type { ServiceConfig } from "../../core/config";
import type { SecretStore } from "../../core/ports/secret-store";
import { resolveOktaCredentials } from "../../core/use-cases/resolve-secrets";

/** The Okta org through okta-sdk-nodejs, built on first use. */
export function oktaDirectoryOnce(config: ServiceConfig, secrets: SecretStore): () => Promise<OktaDirectory> {
  let directory: OktaDirectory | undefined;
  return async () => {
    directory ??= new OktaDirectory(await resolveOktaCredentials(config, secrets));
    return directory;
  };
}
