import { Client } from "@okta/okta-sdk-nodejs";
import { SyncError } from "../../domain/errors";
import type { KiroUserProfile } from "../../domain/kiro-user";
import type {
  DirectoryUser,
  GroupMembers,
  IdentityDirectory,
  OktaCredentials,
} from "../../ports/identity-directory";

/** Okta user statuses that still let a person sign in. */
const activeStatuses = new Set(["ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"]);
/** Ids per `filter` expression: keeps the URL well under Okta's limits. */
const oktaIdsPerFilter = 20;

/**
 * Okta through okta-sdk-nodejs. The SDK's default cache keeps GET responses forever in a warm
 * Lambda, so it is switched off (`cacheMiddleware: null`); the SDK's own 429 handling (waits for
 * X-Rate-Limit-Reset, 2 retries) stays on.
 */
export class OktaDirectory implements IdentityDirectory {
  private readonly client: Client;

  constructor(credentials: OktaCredentials) {
    this.client =
      "token" in credentials
        ? new Client({ orgUrl: credentials.orgUrl, token: credentials.token, cacheMiddleware: null })
        : new Client({
            orgUrl: credentials.orgUrl,
            authorizationMode: "PrivateKey",
            clientId: credentials.clientId,
            scopes: ["okta.users.read", "okta.groups.read"],
            privateKey: credentials.privateKey,
            keyId: credentials.keyId,
            cacheMiddleware: null,
          });
  }

  async getUser(id: string): Promise<DirectoryUser | undefined> {
    try {
      const user = await this.client.userApi.getUser({ userId: id });
      return toDirectoryUser(String(user.id), String(user.status ?? ""), (user.profile ?? {}) as OktaProfile);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) return undefined;
      throw oktaError(error, status);
    }
  }

  /**
   * `filter=id eq "…" or …`, 20 ids a request. Okta leaves deprovisioned users out of such lists,
   * which is why a caller confirms an id the list did not return with {@link getUser}.
   */
  async readUsers(ids: readonly string[]): Promise<Map<string, DirectoryUser>> {
    const found = new Map<string, DirectoryUser>();
    try {
      for (let start = 0; start < ids.length; start += oktaIdsPerFilter) {
        const filter = ids
          .slice(start, start + oktaIdsPerFilter)
          .map((id) => `id eq "${id.replaceAll('"', "")}"`)
          .join(" or ");
        for await (const user of await this.client.userApi.listUsers({ filter, limit: 200 })) {
          if (user?.id)
            found.set(
              user.id,
              toDirectoryUser(user.id, String(user.status ?? ""), (user.profile ?? {}) as OktaProfile),
            );
        }
      }
      return found;
    } catch (error) {
      throw oktaError(error, (error as { status?: number }).status);
    }
  }

  /** Okta groups do not nest: the user's own groups are the whole answer. */
  async listGroupsOfUser(userId: string): Promise<{ id: string; name: string }[] | undefined> {
    try {
      const groups: { id: string; name: string }[] = [];
      for await (const group of await this.client.userApi.listUserGroups({ userId })) {
        if (group?.id) groups.push({ id: group.id, name: group.profile?.name ?? group.id });
      }
      return groups;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) return undefined;
      throw oktaError(error, status);
    }
  }

  async listGroups(): Promise<{ id: string; name: string }[]> {
    try {
      const groups: { id: string; name: string }[] = [];
      for await (const group of await this.client.groupApi.listGroups({ limit: 200 })) {
        if (group?.id) groups.push({ id: group.id, name: group.profile?.name ?? group.id });
      }
      return groups;
    } catch (error) {
      throw oktaError(error, (error as { status?: number }).status);
    }
  }

  /**
   * A page of one group. A 403 gets its own code because the credentials work but lack a scope
   * or admin role, which needs another fix than a wrong token; so does a 400 from the token
   * endpoint, which is how Okta refuses a service app a scope it was never granted.
   */
  async checkAccess(): Promise<void> {
    try {
      await (await this.client.groupApi.listGroups({ limit: 1 })).next();
    } catch (error) {
      const { status, url } = error as { status?: number; url?: string };
      const tokenEndpoint = /\/oauth2\/v1\/token/.test(url ?? "");
      if (status === 403 || (tokenEndpoint && status === 400)) {
        const summary = (error as { errorSummary?: string }).errorSummary || (error as Error).message;
        const where = tokenEndpoint ? "Okta's token endpoint" : "Okta";
        throw new SyncError("IDP.FORBIDDEN", `${where} refused the group read (${status}): ${summary}`, {
          retryable: false,
          cause: error,
        });
      }
      throw oktaError(error, status);
    }
  }

  /** Okta groups do not nest, so the member list is the whole answer. Pages of 200, as Okta advises. */
  async listGroupMembers(groupId: string): Promise<GroupMembers | undefined> {
    try {
      const group = await this.client.groupApi.getGroup({ groupId });
      const userIds: string[] = [];
      try {
        for await (const user of await this.client.groupApi.listGroupUsers({ groupId, limit: 200 })) {
          if (user?.id) userIds.push(user.id);
        }
      } catch (error) {
        if (userIds.length === 0) throw error;
        const failure = oktaError(error, (error as { status?: number }).status).message;
        return {
          displayName: group.profile?.name ?? undefined,
          userIds,
          nestedGroupIds: [],
          complete: false,
          failure,
        };
      }
      return { displayName: group.profile?.name ?? undefined, userIds, nestedGroupIds: [], complete: true };
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) return undefined;
      throw oktaError(error, status);
    }
  }
}

interface OktaProfile {
  login?: string;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  email?: string | null;
  title?: string | null;
  preferredLanguage?: string | null;
  locale?: string | null;
  timezone?: string | null;
  department?: string | null;
  employeeNumber?: string | null;
}

/**
 * Okta profile → Kiro attributes. userName is the Okta login; displayName falls back to
 * "first last". Empty names are passed on as empty so the worker fails the user with a clear
 * reason instead of inventing a name.
 */
export function toDirectoryUser(id: string, status: string, profile: OktaProfile): DirectoryUser {
  const givenName = profile.firstName?.trim() ?? "";
  const familyName = profile.lastName?.trim() ?? "";
  const mapped: KiroUserProfile = {
    externalId: id,
    userName: profile.login ?? "",
    displayName: profile.displayName?.trim() || `${givenName} ${familyName}`.trim(),
    givenName,
    familyName,
    email: profile.email ?? undefined,
    active: activeStatuses.has(status),
    title: profile.title ?? undefined,
    preferredLanguage: profile.preferredLanguage ?? undefined,
    locale: profile.locale ?? undefined,
    timezone: profile.timezone ?? undefined,
    department: profile.department ?? undefined,
    employeeNumber: profile.employeeNumber ?? undefined,
  };
  return { id, profile: mapped, active: mapped.active };
}

function oktaError(error: unknown, status: number | undefined): SyncError {
  const summary =
    (error as { errorSummary?: string }).errorSummary ?? (error as Error).message ?? String(error);
  if (status === 401 || status === 403) {
    return new SyncError("IDP.AUTH", `Okta refused our credentials (${status}): ${summary}`, {
      retryable: false,
      cause: error,
    });
  }
  if (status === 429)
    return new SyncError("IDP.THROTTLED", `Okta rate limit: ${summary}`, { retryable: true, cause: error });
  return new SyncError("IDP.UNAVAILABLE", `Okta read failed (${status ?? "network"}): ${summary}`, {
    retryable: status === undefined || status >= 500,
    cause: error,
  });
}
