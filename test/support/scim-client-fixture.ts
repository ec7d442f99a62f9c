import { ScimHttpClient, type ScimHttpClientOptions } from "../../core/adapters/scim/scim-http-client";
import type { KiroUserProfile } from "../../core/domain/kiro-user";
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

let serial = 0;

/** A valid, unique Kiro profile whose names start with `prefix`, with `overrides` applied. */
export function kiroProfile(prefix: string, overrides: Partial<KiroUserProfile> = {}): KiroUserProfile {
  serial += 1;
  const name = prefix.toLowerCase();
  return {
    externalId: `00u${prefix}${serial}`,
    userName: `${name}${serial}@acme.test`,
    displayName: `${prefix} ${serial}`,
    givenName: prefix,
    familyName: `No${serial}`,
    email: `${name}${serial}@acme.test`,
    active: true,
    ...overrides,
  };
}
