import { invalid } from "./scim-errors";

type Json = Record<string, unknown>;

export const enterpriseUrn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User";

const singleValued = [
  "userName",
  "displayName",
  "nickName",
  "profileUrl",
  "title",
  "userType",
  "preferredLanguage",
  "locale",
  "timezone",
  "externalId",
] as const;
const listAttributes = ["emails", "addresses", "phoneNumbers", "roles"] as const;
const refused = ["password", "ims", "photos", "x509Certificates", "entitlements"] as const;
const reserved = new Set(["administrator", "awsadministrators"]);

/** Attributes PatchUser may touch (DG patchuser): every single-valued one plus these. */
export const patchableUserAttributes = new Set<string>([
  ...singleValued,
  "active",
  "name",
  "emails",
  "addresses",
  "phoneNumbers",
  enterpriseUrn,
]);

function checkLength(value: unknown, field: string, max: number): void {
  if (typeof value === "string" && value.length > max) {
    throw invalid(`${field} must have length less than or equal to ${max}`);
  }
}

function requireText(value: unknown, field: string): void {
  if (typeof value !== "string" || value.trim() === "") throw invalid(`${field} is a required attribute.`);
}

/**
 * Applies IdC's CreateUser/PutUser rules and returns the stored shape. The checks and their order
 * follow reference/scim-target.md §1.3 item 4; messages copy the real ones where they are known.
 */
export function normalizeUser(body: Json, options: { allowGroups: boolean }): Json {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("Request is unparsable, syntactically incorrect, or violates schema.");
  }
  for (const key of refused) {
    if (body[key] !== undefined) throw invalid(`Unsupported attribute: ${key}`);
  }
  if (!options.allowGroups && body.groups !== undefined) throw invalid("groups cannot be set on a user.");
  requireText(body.userName, "userName");
  requireText(body.displayName, "displayName");
  const name = (body.name ?? {}) as Json;
  if (typeof name !== "object" || name === null) throw invalid("name must be an object.");
  requireText(name.givenName, "name.givenName");
  requireText(name.familyName, "name.familyName");
  checkLength(body.userName, "userName", 128);
  checkLength(body.displayName, "displayName", 1024);
  checkLength(body.externalId, "externalId", 256);
  if (body.externalId !== undefined && (typeof body.externalId !== "string" || body.externalId === "")) {
    throw invalid("externalId must be a non-empty string.");
  }
  if (reserved.has(String(body.userName).toLowerCase()))
    throw invalid(`userName ${body.userName} is reserved.`);
  for (const key of singleValued) {
    if (body[key] !== undefined && typeof body[key] !== "string") throw invalid(`${key} must be a string.`);
  }
  if (body.active !== undefined && typeof body.active !== "boolean")
    throw invalid("active must be a boolean.");
  for (const key of listAttributes) {
    const list = body[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw invalid(`${key} must be a list.`);
    if (list.length > 1) throw invalid("Currently list attributes only allow single item");
  }
  const email = (body.emails as Json[] | undefined)?.[0];
  if (email) {
    requireText(email.value, "emails.value");
    if (email.primary !== true) throw invalid("The email must be set as primary.");
  }

  const stored: Json = { schemas: [userSchema], active: body.active ?? true };
  for (const key of singleValued) if (body[key] !== undefined) stored[key] = body[key];
  stored.name = pick(name, [
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
  ]);
  for (const key of listAttributes) if (body[key] !== undefined) stored[key] = body[key];
  const enterprise = body[enterpriseUrn] as Json | undefined;
  if (enterprise) {
    stored[enterpriseUrn] = pick(enterprise, [
      "employeeNumber",
      "costCenter",
      "organization",
      "division",
      "department",
      "manager",
    ]);
    (stored.schemas as string[]).push(enterpriseUrn);
  }
  return stored;
}

function pick(source: Json, keys: string[]): Json {
  const out: Json = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

export function primaryEmail(user: Json): string | undefined {
  const value = (user.emails as Json[] | undefined)?.[0]?.value;
  return typeof value === "string" ? value : undefined;
}
