import { InvalidProfileError } from "./errors";

/**
 * A user as this service wants it in Kiro, mapped from an IdP profile. `externalId` is always the
 * immutable IdP id (Okta user id, Entra objectId), so renames and email changes never orphan a user.
 */
export interface KiroUserProfile {
  externalId: string;
  userName: string;
  displayName: string;
  givenName: string;
  familyName: string;
  email?: string | undefined;
  active: boolean;
  title?: string | undefined;
  preferredLanguage?: string | undefined;
  locale?: string | undefined;
  timezone?: string | undefined;
  department?: string | undefined;
  employeeNumber?: string | undefined;
}

/** Limits of IAM Identity Center's SCIM implementation (reference/scim-target.md §1.1). */
export const kiroLimits = {
  userNameMax: 128,
  displayNameMax: 1024,
  nameMax: 1024,
  externalIdMax: 256,
  groupDisplayNameMax: 1024,
  reservedNames: ["administrator", "awsadministrators"],
  maxMemberChangesPerPatch: 100,
  maxPageSize: 100,
} as const;

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Lists every reason Kiro would refuse this profile, so a bad IdP record fails with a sentence an
 * operator can act on ("familyName is empty") instead of Kiro's generic 400.
 */
export function kiroUserProblems(profile: KiroUserProfile): string[] {
  const problems: string[] = [];
  const required: [keyof KiroUserProfile, number][] = [
    ["userName", kiroLimits.userNameMax],
    ["displayName", kiroLimits.displayNameMax],
    ["givenName", kiroLimits.nameMax],
    ["familyName", kiroLimits.nameMax],
    ["externalId", kiroLimits.externalIdMax],
  ];
  for (const [field, max] of required) {
    const value = profile[field];
    if (typeof value !== "string" || value.trim() === "") problems.push(`${field} is empty`);
    else if (value.length > max) problems.push(`${field} is longer than ${max} characters`);
  }
  if (kiroLimits.reservedNames.includes(profile.userName?.toLowerCase() as "administrator")) {
    problems.push(`userName "${profile.userName}" is reserved`);
  }
  if (profile.email !== undefined && !emailPattern.test(profile.email)) {
    problems.push(`email "${profile.email}" is not an email address`);
  }
  return problems;
}

/** Throws {@link InvalidProfileError} when Kiro would refuse the profile. */
export function assertValidKiroUser(profile: KiroUserProfile): void {
  const problems = kiroUserProblems(profile);
  if (problems.length > 0) throw new InvalidProfileError(problems);
}

const enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/**
 * The SCIM resource for a profile. Kiro accepts exactly one email and it must be primary; optional
 * attributes are sent only when set because empty strings are rejected as schema violations.
 */
export function toScimUserResource(profile: KiroUserProfile): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    externalId: profile.externalId,
    userName: profile.userName,
    displayName: profile.displayName,
    name: { givenName: profile.givenName, familyName: profile.familyName },
    active: profile.active,
  };
  if (profile.email) resource.emails = [{ value: profile.email, type: "work", primary: true }];
  for (const key of ["title", "preferredLanguage", "locale", "timezone"] as const) {
    if (profile[key]) resource[key] = profile[key];
  }
  if (profile.department || profile.employeeNumber) {
    resource.schemas = [...(resource.schemas as string[]), enterpriseSchema];
    const enterprise: Record<string, string> = {};
    if (profile.department) enterprise.department = profile.department;
    if (profile.employeeNumber) enterprise.employeeNumber = profile.employeeNumber;
    resource[enterpriseSchema] = enterprise;
  }
  return resource;
}
