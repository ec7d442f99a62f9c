import { z } from "zod";
import { bearerTokenMinLength, type ServiceConfig } from "../config";
import { SyncError } from "../domain/errors";
import type { GraphCredentials, OktaCredentials } from "../ports/identity-directory";
import type { SecretStore } from "../ports/secret-store";

const OktaSecretSchema = z.object({
  hookSecret: z.string().min(16),
  apiToken: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  keyId: z.string().min(1).optional(),
});

const missing = (what: string) =>
  new SyncError("CONFIG.MISSING_SECRET", `${what} is not configured`, { retryable: false });

async function readSecret<T>(
  secrets: SecretStore,
  secretId: string,
  schema: z.ZodType<T>,
  options: { fresh?: boolean } = {},
): Promise<T> {
  const parsed = schema.safeParse(await secrets.getSecretJson(secretId, options));
  if (!parsed.success) {
    throw new SyncError(
      "CONFIG.SECRET_SHAPE",
      `secret ${secretId} has the wrong shape: ${parsed.error.issues[0]?.message}`,
      {
        retryable: false,
      },
    );
  }
  return parsed.data;
}

/** The expected `Authorization` value of Okta hook deliveries: env first (local), then Secrets Manager. */
export async function resolveOktaHookSecret(config: ServiceConfig, secrets: SecretStore): Promise<string> {
  if (config.okta.hookSecret) return config.okta.hookSecret;
  if (!config.okta.secretId) throw missing("OKTA_HOOK_SECRET (or OKTA_SECRET_ID)");
  return (await readSecret(secrets, config.okta.secretId, OktaSecretSchema)).hookSecret;
}

/** Okta API credentials: an SSWS token, or an OAuth service app's private key. */
export async function resolveOktaCredentials(
  config: ServiceConfig,
  secrets: SecretStore,
): Promise<OktaCredentials> {
  const { okta } = config;
  const fromSecret =
    !okta.apiToken && !okta.privateKey && okta.secretId
      ? await readSecret(secrets, okta.secretId, OktaSecretSchema)
      : undefined;
  const orgUrl = okta.orgUrl;
  if (!orgUrl) throw missing("OKTA_ORG_URL");
  const token = okta.apiToken ?? fromSecret?.apiToken;
  if (token) return { orgUrl, token };
  const clientId = okta.clientId ?? fromSecret?.clientId;
  const privateKey = okta.privateKey ?? fromSecret?.privateKey;
  if (clientId && privateKey) return { orgUrl, clientId, privateKey, keyId: okta.keyId ?? fromSecret?.keyId };
  throw missing("OKTA_API_TOKEN (or OKTA_CLIENT_ID with OKTA_PRIVATE_KEY)");
}

/**
 * A bearer token's secret, `{"token": "…"}`, held to the length the environment's is: a short one
 * filled into Secrets Manager is refused (the route answers 503 and logs the secret), not accepted.
 */
const BearerTokenSchema = z.object({
  token: z.string().min(bearerTokenMinLength, `token must be at least ${bearerTokenMinLength} characters`),
});

/** The bearer token for the read routes (`/status`, `/log`…): env first (local), then Secrets Manager. */
export async function resolveStatusToken(config: ServiceConfig, secrets: SecretStore): Promise<string> {
  if (config.statusToken) return config.statusToken;
  if (!config.statusTokenSecretId) throw missing("STATUS_TOKEN (or STATUS_TOKEN_SECRET_ID)");
  return (await readSecret(secrets, config.statusTokenSecretId, BearerTokenSchema)).token;
}

/** The bearer token for `/admin/*`: env first (local), then the AdminToken secret, which only Admin reads. */
export async function resolveAdminToken(config: ServiceConfig, secrets: SecretStore): Promise<string> {
  if (config.adminToken) return config.adminToken;
  if (!config.adminTokenSecretId) throw missing("ADMIN_TOKEN (or ADMIN_TOKEN_SECRET_ID)");
  return (await readSecret(secrets, config.adminTokenSecretId, BearerTokenSchema)).token;
}

const KiroCredentialsSchema = z.object({ url: z.url(), token: z.string().min(1) });
export type KiroCredentials = z.infer<typeof KiroCredentialsSchema>;

/** Kiro's SCIM endpoint and token: env first (local runs), then the Secrets Manager secret (AWS). */
export async function resolveKiroCredentials(
  config: ServiceConfig,
  secrets: SecretStore,
  options: { fresh?: boolean } = {},
): Promise<KiroCredentials> {
  if (config.kiroScim) return config.kiroScim;
  if (!config.kiroScimSecretId) throw missing("KIRO_SCIM_URL and KIRO_SCIM_TOKEN (or KIRO_SCIM_SECRET_ID)");
  return readSecret(secrets, config.kiroScimSecretId, KiroCredentialsSchema, options);
}

const EntraSecretSchema = z.object({
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  clientState: z.string().min(16).max(128),
});

export interface EntraSettings {
  credentials: GraphCredentials;
  clientState: string;
}

/** Entra app credentials and the subscriptions' clientState: env first (local), then Secrets Manager. */
export async function resolveEntraSettings(
  config: ServiceConfig,
  secrets: SecretStore,
): Promise<EntraSettings> {
  const { entra } = config;
  const fromEnv =
    entra.tenantId && entra.clientId && entra.clientSecret && entra.clientState
      ? {
          tenantId: entra.tenantId,
          clientId: entra.clientId,
          clientSecret: entra.clientSecret,
          clientState: entra.clientState,
        }
      : undefined;
  const settings =
    fromEnv ?? (entra.secretId ? await readSecret(secrets, entra.secretId, EntraSecretSchema) : undefined);
  if (!settings)
    throw missing(
      "ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET and ENTRA_CLIENT_STATE (or ENTRA_SECRET_ID)",
    );
  return {
    credentials: {
      tenantId: settings.tenantId,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      authorityHost: entra.authorityHost,
      graphBaseUrl: entra.graphUrl,
    },
    clientState: settings.clientState,
  };
}
