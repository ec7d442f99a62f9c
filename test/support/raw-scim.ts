import type { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * Plain fetch against the emulator, deliberately not our SCIM client: conformance tests must not
 * pass because the client and the emulator share a mistake.
 */
export function rawScim(emulator: KiroScimEmulator) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string | null; tenantId?: string } = {},
  ): Promise<RawResponse> => {
    const profile = emulator.profile;
    const token = options.token === undefined ? profile.token : options.token;
    const response = await fetch(`${emulator.url}/${options.tenantId ?? profile.tenantId}/scim/v2${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/scim+json" }),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
  };
}

let counter = 0;

/** A user body Kiro accepts; every call is unique. */
export function validUser(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    externalId: `00u${counter}`,
    userName: `user${counter}@acme.test`,
    displayName: `User ${counter}`,
    name: { givenName: "User", familyName: `Number${counter}` },
    emails: [{ value: `user${counter}@acme.test`, type: "work", primary: true }],
    active: true,
    ...overrides,
  };
}

export const patchOp = (Operations: unknown[]) => ({
  schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  Operations,
});
