import { ScimHttpClient, type ScimHttpClientOptions } from "../../core/adapters/scim/scim-http-client";
import type { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";

/** The real SCIM client on the emulator's current profile, with retries short enough for a test. */
export function emulatorClient(
  emulator: KiroScimEmulator,
  options: Partial<ScimHttpClientOptions> = {},
): ScimHttpClient {
  const { scimUrl, token } = emulator.profile;
  return new ScimHttpClient({
    baseUrl: scimUrl,
    token,
    retryPolicy: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 5 },
    ...options,
  });
}
