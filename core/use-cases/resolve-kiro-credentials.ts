import { z } from "zod";
import type { ServiceConfig } from "../config";
import { SyncError } from "../domain/errors";
import type { SecretStore } from "../ports/secret-store";

const KiroCredentialsSchema = z.object({ url: z.url(), token: z.string().min(1) });
export type KiroCredentials = z.infer<typeof KiroCredentialsSchema>;

/** Environment first (local runs), then the Secrets Manager secret (AWS). */
export async function resolveKiroCredentials(
  config: ServiceConfig,
  secrets: SecretStore,
): Promise<KiroCredentials> {
  if (config.kiroScim) return config.kiroScim;
  if (!config.kiroScimSecretId) {
    throw new SyncError(
      "CONFIG.NO_KIRO_CREDENTIALS",
      "set KIRO_SCIM_URL and KIRO_SCIM_TOKEN, or KIRO_SCIM_SECRET_ID",
      {
        retryable: false,
      },
    );
  }
  const parsed = KiroCredentialsSchema.safeParse(await secrets.getSecretJson(config.kiroScimSecretId));
  if (!parsed.success) {
    throw new SyncError(
      "CONFIG.KIRO_SECRET_SHAPE",
      `secret ${config.kiroScimSecretId} must be {"url": "...", "token": "..."}`,
      {
        retryable: false,
      },
    );
  }
  return parsed.data;
}
