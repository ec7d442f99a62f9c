import { Client, GraphClientError } from "@microsoft/microsoft-graph-client";
import { SyncError } from "../../domain/errors";
import type { KiroUserProfile } from "../../domain/kiro-user";
import type { DirectoryDeltaReader, GroupDelta } from "../../ports/directory-delta-reader";
import type {
  DirectoryUser,
  GraphCredentials,
  GroupMembers,
  IdentityDirectory,
} from "../../ports/identity-directory";
import { ClientCredentialsToken } from "./client-credentials-token";

const userFields =
  "id,userPrincipalName,displayName,givenName,surname,mail,accountEnabled,jobTitle,department,employeeId,preferredLanguage";

/** Graph allows at most 15 values in one `in (…)` filter clause. */
const graphIdsPerFilter = 15;

interface GraphPage<T> {
  value: T[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

/**
 * The Graph client with app-only credentials. `customHosts` lets the client send the token to a
 * local tenant; against Graph itself it is graph.microsoft.com, which the client trusts anyway.
 */
export function createGraphClient(credentials: GraphCredentials): Client {
  const tokens = new ClientCredentialsToken(credentials);
  const baseUrl = credentials.graphBaseUrl ?? "https://graph.microsoft.com/";
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: () => tokens.getAccessToken().catch(carryThroughClient) },
    baseUrl,
    customHosts: new Set([new URL(baseUrl).hostname]),
  });
}

/**
 * The Graph client turns whatever an auth provider throws into a GraphError with status -1, which
 * would make a rejected client secret look like a retryable network failure. A GraphClientError is
 * the one kind it passes through untouched, so the token's SyncError travels inside one.
 */
function carryThroughClient(error: unknown): never {
  const carrier = new GraphClientError((error as Error).message ?? String(error));
  carrier.customError = error;
  throw carrier;
}

/** The token failure a Graph call ended with, as {@link ClientCredentialsToken} reported it. */
export function tokenFailure(error: unknown): SyncError | undefined {
  const carried = error instanceof GraphClientError ? error.customError : undefined;
  return carried instanceof SyncError ? carried : undefined;
}

/**
 * Microsoft Graph through @microsoft/microsoft-graph-client with app-only credentials from
 * {@link ClientCredentialsToken}. The client's own middleware retries 429/503 honouring
 * Retry-After; what still fails surfaces as `IDP.*` SyncErrors.
 */
export class GraphDirectory implements IdentityDirectory, DirectoryDeltaReader {
  private readonly client: Client;
  private readonly graphOrigin: string;

  constructor(credentials: GraphCredentials) {
    this.client = createGraphClient(credentials);
    this.graphOrigin = new URL(credentials.graphBaseUrl ?? "https://graph.microsoft.com/").origin;
  }

  async getUser(id: string): Promise<DirectoryUser | undefined> {
    try {
      const user = (await this.client
        .api(`/users/${encodeURIComponent(id)}`)
        .select(userFields)
        .get()) as EntraUser;
      return toDirectoryUser(user);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw graphError(error);
    }
  }

  /** `$filter=id in (…)` with 15 ids a request, Graph's limit on values in one filter. */
  async readUsers(ids: readonly string[]): Promise<Map<string, DirectoryUser>> {
    const found = new Map<string, DirectoryUser>();
    try {
      for (let start = 0; start < ids.length; start += graphIdsPerFilter) {
        const quoted = ids
          .slice(start, start + graphIdsPerFilter)
          .map((id) => `'${id.replaceAll("'", "''")}'`)
          .join(",");
        const { items, failure } = await this.readAll<EntraUser>(
          this.client.api("/users").filter(`id in (${quoted})`).select(userFields),
        );
        if (failure)
          throw new SyncError("IDP.INCOMPLETE", `user read stopped part-way: ${failure}`, {
            retryable: true,
          });
        for (const user of items) found.set(user.id, toDirectoryUser(user));
      }
      return found;
    } catch (error) {
      if (error instanceof SyncError) throw error;
      throw graphError(error);
    }
  }

  async listGroupMembers(groupId: string): Promise<GroupMembers | undefined> {
    try {
      const group = (await this.client
        .api(`/groups/${encodeURIComponent(groupId)}`)
        .select("id,displayName")
        .get()) as {
        displayName?: string;
      };
      const { items: members, failure } = await this.readAll<{ "@odata.type"?: string; id: string }>(
        this.client
          .api(`/groups/${encodeURIComponent(groupId)}/transitiveMembers`)
          .select("id")
          .top(999),
      );
      const isGroup = (member: { "@odata.type"?: string }) =>
        member["@odata.type"]?.toLowerCase() === "#microsoft.graph.group";
      return {
        displayName: group.displayName,
        userIds: members
          .filter((member) => member["@odata.type"]?.toLowerCase() === "#microsoft.graph.user")
          .map((member) => member.id),
        nestedGroupIds: members.filter(isGroup).map((member) => member.id),
        complete: failure === undefined,
        failure,
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw graphError(error);
    }
  }

  /** One delta round over /groups with members, merged per group (a large group arrives in slices). */
  async groupsDelta(
    deltaLink: string | undefined,
  ): Promise<{ groups: Map<string, GroupDelta>; deltaLink: string }> {
    const groups = new Map<string, GroupDelta>();
    const link = await this.readDelta<EntraDeltaGroup>(
      deltaLink
        ? this.client.api(this.usableLink(deltaLink))
        : this.client.api("/groups/delta").select("displayName,members"),
      (entry) => mergeDeltaEntry(groups, entry),
    );
    return { groups, deltaLink: link };
  }

  /** One delta round over /users with the fields the mapping uses and `accountEnabled`. */
  async usersDelta(
    deltaLink: string | undefined,
  ): Promise<{ users: Map<string, DirectoryUser | undefined>; deltaLink: string }> {
    const users = new Map<string, DirectoryUser | undefined>();
    const link = await this.readDelta<EntraUser & { "@removed"?: unknown }>(
      deltaLink
        ? this.client.api(this.usableLink(deltaLink))
        : this.client.api("/users/delta").select(userFields),
      (entry) => users.set(entry.id, entry["@removed"] ? undefined : toDirectoryUser(entry)),
    );
    return { users, deltaLink: link };
  }

  /**
   * A stored link is only followed to the Graph this directory is configured for. One left behind by
   * another endpoint (a local tenant that restarted on another port, a changed ENTRA_GRAPH_URL) can
   * only fail every round, and would get our token were its host trusted; it is reported as expired,
   * so the caller drops it and enumerates afresh.
   */
  private usableLink(deltaLink: string): string {
    const origin = URL.canParse(deltaLink) ? new URL(deltaLink).origin : undefined;
    if (origin === this.graphOrigin) return deltaLink;
    throw new SyncError(
      "IDP.DELTA_EXPIRED",
      `the stored delta link points at ${origin ?? "no valid URL"}, not the configured Graph ${this.graphOrigin}`,
      { retryable: false },
    );
  }

  /**
   * Follows a delta round's pages to its deltaLink. An expired link (410 Gone, or a sync-state
   * error) is reported as `IDP.DELTA_EXPIRED`: the caller resyncs in full.
   */
  private async readDelta<T>(first: ReturnType<Client["api"]>, onEntry: (entry: T) => void): Promise<string> {
    try {
      let page = (await first.get()) as GraphPage<T>;
      for (;;) {
        for (const entry of page.value) onEntry(entry);
        if (page["@odata.deltaLink"]) return page["@odata.deltaLink"];
        if (!page["@odata.nextLink"])
          throw new SyncError("IDP.INCOMPLETE", "delta page without next or delta link", { retryable: true });
        page = (await this.client.api(page["@odata.nextLink"]).get()) as GraphPage<T>;
      }
    } catch (error) {
      if (error instanceof SyncError) throw error;
      const status = statusOf(error);
      const code = (error as { code?: string }).code ?? "";
      if (status === 410 || /syncStateNotFound|resyncRequired/i.test(code)) {
        throw new SyncError("IDP.DELTA_EXPIRED", "the Graph delta link expired; a full resync is needed", {
          retryable: false,
          cause: error,
        });
      }
      throw graphError(error);
    }
  }

  /** `transitiveMemberOf`, groups only: a member of a group nested in a synced one is in its scope. */
  async listGroupsOfUser(userId: string): Promise<{ id: string; name: string }[] | undefined> {
    try {
      const { items, failure } = await this.readAll<{ id: string; displayName?: string }>(
        this.client
          .api(`/users/${encodeURIComponent(userId)}/transitiveMemberOf/microsoft.graph.group`)
          .select("id,displayName")
          .top(999),
      );
      if (failure)
        throw new SyncError("IDP.INCOMPLETE", `group listing stopped part-way: ${failure}`, {
          retryable: true,
        });
      return items.map((group) => ({ id: group.id, name: group.displayName ?? group.id }));
    } catch (error) {
      if (error instanceof SyncError) throw error;
      if (statusOf(error) === 404) return undefined;
      throw graphError(error);
    }
  }

  async listGroups(): Promise<{ id: string; name: string }[]> {
    try {
      const { items, failure } = await this.readAll<{ id: string; displayName?: string }>(
        this.client.api("/groups").select("id,displayName").top(999),
      );
      if (failure)
        throw new SyncError("IDP.INCOMPLETE", `group listing stopped part-way: ${failure}`, {
          retryable: true,
        });
      return items.map((group) => ({ id: group.id, name: group.displayName ?? group.id }));
    } catch (error) {
      if (error instanceof SyncError) throw error;
      throw graphError(error);
    }
  }

  /** Follows nextLinks; a failure on the first page throws, a later one ends the read as incomplete. */
  private async readAll<T>(request: ReturnType<Client["api"]>): Promise<{ items: T[]; failure?: string }> {
    const items: T[] = [];
    let page = (await request.get()) as GraphPage<T>;
    for (;;) {
      items.push(...page.value);
      const next = page["@odata.nextLink"];
      if (!next) return { items };
      try {
        page = (await this.client.api(next).get()) as GraphPage<T>;
      } catch (error) {
        return { items, failure: graphError(error).message };
      }
    }
  }
}

interface EntraUser {
  id: string;
  userPrincipalName?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  accountEnabled?: boolean | null;
  jobTitle?: string | null;
  department?: string | null;
  employeeId?: string | null;
  preferredLanguage?: string | null;
}

interface EntraDeltaGroup {
  id: string;
  displayName?: string;
  "@removed"?: { reason: string } | string;
  "members@delta"?: { id: string; "@odata.type"?: string; "@removed"?: { reason: string } | string }[];
}

function mergeDeltaEntry(groups: Map<string, GroupDelta>, entry: EntraDeltaGroup): void {
  const group: GroupDelta = groups.get(entry.id) ?? {
    id: entry.id,
    removed: false,
    addedMembers: new Set<string>(),
    removedMembers: new Set<string>(),
    nestedGroupChanges: new Set<string>(),
    untypedMembers: new Set<string>(),
  };
  if (entry.displayName) group.displayName = entry.displayName;
  if (entry["@removed"]) group.removed = true;
  for (const member of entry["members@delta"] ?? []) {
    const type = member["@odata.type"]?.toLowerCase();
    if (type === "#microsoft.graph.group") {
      group.nestedGroupChanges.add(member.id);
    } else if (type !== "#microsoft.graph.user") {
      group.untypedMembers.add(member.id);
    } else if (member["@removed"]) {
      group.removedMembers.add(member.id);
      group.addedMembers.delete(member.id);
    } else {
      group.addedMembers.add(member.id);
      group.removedMembers.delete(member.id);
    }
  }
  groups.set(entry.id, group);
}

/**
 * Entra → Kiro. userName is the userPrincipalName, `externalId` the objectId. Entra users often
 * lack givenName/surname (service and shared accounts): the fallback splits a displayName of two
 * or more words ("Build Robot" → "Build" / "Robot"); with a one-word displayName the names stay
 * empty and the user fails with "givenName is empty" rather than getting an invented name.
 */
export function toDirectoryUser(user: EntraUser): DirectoryUser {
  const words = (user.displayName ?? "").trim().split(/\s+/).filter(Boolean);
  const fallback =
    words.length >= 2
      ? { given: words.slice(0, -1).join(" "), family: words.at(-1) ?? "" }
      : { given: "", family: "" };
  const givenName = user.givenName?.trim() || fallback.given;
  const familyName = user.surname?.trim() || fallback.family;
  const active = user.accountEnabled !== false;
  const profile: KiroUserProfile = {
    externalId: user.id,
    userName: user.userPrincipalName ?? "",
    displayName: user.displayName?.trim() || `${givenName} ${familyName}`.trim(),
    givenName,
    familyName,
    email: user.mail ?? undefined,
    active,
    title: user.jobTitle ?? undefined,
    department: user.department ?? undefined,
    employeeNumber: user.employeeId ?? undefined,
    preferredLanguage: user.preferredLanguage ?? undefined,
  };
  return { id: user.id, profile, active };
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** A Graph failure as a stable `IDP.*` code: 401 and 403 stop the sync, throttling and outages retry. */
export function graphError(error: unknown): SyncError {
  const failure = tokenFailure(error);
  if (failure) return failure;
  const status = statusOf(error);
  const message = (error as Error).message ?? String(error);
  if (status === 401 || status === 403) {
    return new SyncError("IDP.AUTH", `Graph refused our credentials (${status}): ${message}`, {
      retryable: false,
      cause: error,
    });
  }
  if (status === 429)
    return new SyncError("IDP.THROTTLED", `Graph throttled us: ${message}`, {
      retryable: true,
      cause: error,
    });
  return new SyncError("IDP.UNAVAILABLE", `Graph read failed (${status ?? "network"}): ${message}`, {
    retryable: status === undefined || status >= 500 || status === -1,
    cause: error,
  });
}
