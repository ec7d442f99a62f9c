import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { LocalTls } from "../tls/local-tls";

export interface GraphUserState {
  id: string;
  userPrincipalName: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  accountEnabled: boolean;
  jobTitle?: string | null;
  department?: string | null;
}

export interface GraphSubscriptionState {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState: string;
  expirationDateTime: string;
}

interface MemberChange {
  seq: number;
  groupId: string;
  memberId?: string;
  change: "added" | "removed" | "renamed" | "deleted";
}

interface InjectedFailure {
  kind: "throttle" | "unavailable" | "renewal";
  remaining: number;
  status: number;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const maxSubscriptionMinutes = 41_760;
const maxSubscriptionsPerApp = 100;

/**
 * The slice of Microsoft Graph and the Entra token authority this service uses, over HTTPS so the
 * real @microsoft/microsoft-graph-client and our client-credentials token provider run against it
 * unmodified: client credentials (with Entra's AADSTS refusals and access tokens that expire),
 * users (by id or userPrincipalName) and their transitiveMemberOf, groups with nested groups,
 * transitiveMembers, groups/delta (paged, with groups split
 * across pages, expirable tokens answering 410, members typed or not), subscriptions with the
 * validation handshake and Graph's limits, and change notifications sent the way Graph sends them.
 */
export class GraphTenantServer {
  readonly tenantId = randomUUID();
  readonly clientId = randomUUID();
  readonly clientSecret = `secret-${randomUUID()}`;
  readonly users = new Map<string, GraphUserState>();
  readonly groups = new Map<string, { id: string; displayName: string }>();
  readonly members = new Map<string, Set<string>>();
  readonly subscriptions = new Map<string, GraphSubscriptionState>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** Member entries per delta page: small, so a large group spans several pages. */
  deltaPageSize = 50;
  /**
   * Whether groups/delta names each `members@delta` item's `@odata.type`. Graph does not promise it
   * on every item; false sends bare ids (and `@removed`), as Graph's notifications do.
   */
  deltaMemberTypes = true;
  /**
   * The HTTPS tunnels through which this tenant reaches a service on loopback: a public base URL
   * (what the service gives Graph) → the local one. Validation handshakes and notifications sent to
   * a URL under a public base go to the local one instead, as a real tunnel forwards them.
   */
  readonly tunnels = new Map<string, string>();
  /** Application permissions with admin consent; without one, the reads that need it answer 403 as Graph does. */
  readonly permissions = new Set(["Group.Read.All", "User.Read.All"]);
  /** `expires_in` of the tokens issued from now on; Graph refuses a token once it has run out. */
  tokenLifetimeSeconds = 3599;
  private changes: MemberChange[] = [];
  /** Users changed or deleted, by `seq`, for users/delta. */
  private userChanges: { seq: number; userId: string; deleted: boolean }[] = [];
  private seq = 0;
  private notificationSeq = 0;
  /** The last notification POST as sent, so Graph's redelivery of it can be played. */
  private lastDelivery: { url: string; body: string } | undefined;
  private deltaValidFrom = 0;
  /** Access token → when it expires (ms since epoch). */
  private readonly issuedTokens = new Map<string, number>();
  private readonly pagedResults = new Map<string, unknown[]>();
  private failures: InjectedFailure[] = [];
  private server: Server | undefined;
  private baseUrl = "";

  constructor(private readonly tls: LocalTls) {}

  static async start(tls: LocalTls): Promise<GraphTenantServer> {
    const tenant = new GraphTenantServer(tls);
    await tenant.listen();
    return tenant;
  }

  get url(): string {
    return this.baseUrl;
  }

  addUser(user: GraphUserState): void {
    this.users.set(user.id, { ...user });
  }

  /** A profile or status edit, as an admin makes it in Entra: users/delta reports it; nothing notifies. */
  updateUser(id: string, changes: Partial<Omit<GraphUserState, "id">>): void {
    const user = this.users.get(id);
    if (!user) throw new Error(`no user ${id}`);
    Object.assign(user, changes);
    this.userChanges.push({ seq: ++this.seq, userId: id, deleted: false });
  }

  /** Deletes the user as Entra does: gone from every group and from /users; users/delta reports `@removed`. */
  deleteUser(id: string): void {
    for (const [groupId, memberIds] of this.members) if (memberIds.has(id)) this.removeMember(groupId, id);
    this.users.delete(id);
    this.userChanges.push({ seq: ++this.seq, userId: id, deleted: true });
  }

  addGroup(group: { id: string; displayName: string }): void {
    this.groups.set(group.id, { ...group });
    this.members.set(group.id, new Set());
  }

  addMember(groupId: string, memberId: string): void {
    this.members.get(groupId)?.add(memberId);
    this.changes.push({ seq: ++this.seq, groupId, memberId, change: "added" });
  }

  removeMember(groupId: string, memberId: string): void {
    this.members.get(groupId)?.delete(memberId);
    this.changes.push({ seq: ++this.seq, groupId, memberId, change: "removed" });
  }

  /** Every delta token issued so far now answers 410 Gone, as after 7 days. */
  expireDeltaTokens(): void {
    this.deltaValidFrom = this.seq + 1;
  }

  /**
   * The next `count` Graph calls answer 429 (Retry-After: 1) or 503; `renewal` fails the next
   * subscription PATCHes with `status` (default 403, a refusal; 500 for an outage).
   */
  failNext(kind: InjectedFailure["kind"], count: number, { status = 403 } = {}): void {
    this.failures.push({ kind, remaining: count, status });
  }

  /** Users (not groups) reachable from a group through nested groups, as Graph computes them. */
  transitiveUserIds(groupId: string): string[] {
    return this.transitiveMembers(groupId).filter((id) => this.users.has(id));
  }

  /**
   * Posts notifications the way Graph does: `{"value": [...]}` to the subscription's URL with its
   * clientState (or the one given, to test forgery), `members@delta` removals as the string form.
   */
  async notifyGroupChange(
    groupId: string,
    delta: { added?: string[]; removed?: string[] } | undefined,
    options: { clientState?: string } = {},
  ): Promise<number> {
    return this.notifyGroupChanges([{ groupId, delta, ...options }]);
  }

  /** Several group changes in one POST, as Graph batches notifications. */
  async notifyGroupChanges(
    changes: {
      groupId: string;
      delta: { added?: string[]; removed?: string[] } | undefined;
      clientState?: string;
    }[],
  ): Promise<number> {
    const subscription = [...this.subscriptions.values()].find(
      (candidate) => candidate.resource === "groups",
    );
    if (!subscription) throw new Error("no /groups subscription");
    const value = changes.map(({ groupId, delta, clientState }) => {
      const resourceData: Record<string, unknown> = {
        "@odata.type": "#Microsoft.Graph.Group",
        "@odata.id": `Groups/${groupId}`,
        id: groupId,
        organizationId: this.tenantId,
        eventTime: this.eventTime(),
      };
      if (delta) {
        resourceData["members@delta"] = [
          ...(delta.added ?? []).map((id) => ({ id })),
          ...(delta.removed ?? []).map((id) => ({ id, "@removed": "deleted" })),
        ];
      }
      return {
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        clientState: clientState ?? subscription.clientState,
        changeType: "updated",
        resource: `Groups/${groupId}`,
        tenantId: this.tenantId,
        resourceData,
      };
    });
    return this.post(subscription.notificationUrl, { value });
  }

  /**
   * Sends the last notification POST again, byte for byte, as Graph does when it got no 2xx within
   * 3 s: it keeps resending for up to 4 h, so a receiver may see one notification many times.
   */
  async redeliverLastNotification(): Promise<number> {
    if (!this.lastDelivery) throw new Error("no notification sent yet");
    return this.send(this.lastDelivery.url, this.lastDelivery.body);
  }

  /** A /users notification: ids only, like Graph's basic notifications for directory objects. */
  async notifyUserChange(userId: string): Promise<number> {
    const subscription = [...this.subscriptions.values()].find((candidate) => candidate.resource === "users");
    if (!subscription) throw new Error("no /users subscription");
    return this.post(subscription.notificationUrl, {
      value: [
        {
          subscriptionId: subscription.id,
          subscriptionExpirationDateTime: subscription.expirationDateTime,
          clientState: subscription.clientState,
          changeType: "updated",
          resource: `Users/${userId}`,
          tenantId: this.tenantId,
          resourceData: {
            "@odata.type": "#Microsoft.Graph.User",
            "@odata.id": `Users/${userId}`,
            id: userId,
            organizationId: this.tenantId,
            eventTime: this.eventTime(),
          },
        },
      ],
    });
  }

  async notifyLifecycle(subscriptionId: string, lifecycleEvent: string): Promise<number> {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription?.lifecycleNotificationUrl) throw new Error("no lifecycle URL");
    return this.post(subscription.lifecycleNotificationUrl, {
      value: [
        {
          subscriptionId,
          subscriptionExpirationDateTime: subscription.expirationDateTime,
          tenantId: this.tenantId,
          clientState: subscription.clientState,
          lifecycleEvent,
        },
      ],
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Graph's seven fractional digits, the last four from a counter: two changes never share an
   * eventTime in Graph (100 ns ticks), and must not here however fast a test sends them.
   */
  private eventTime(): string {
    const ticks = String(++this.notificationSeq % 10_000).padStart(4, "0");
    return new Date().toISOString().replace("Z", `${ticks}Z`);
  }

  private async post(url: string, body: unknown): Promise<number> {
    this.lastDelivery = { url, body: JSON.stringify(body) };
    return this.send(this.lastDelivery.url, this.lastDelivery.body);
  }

  private async send(url: string, body: string): Promise<number> {
    const response = await fetch(this.throughTunnel(url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  private async listen(): Promise<void> {
    const server = createServer({ key: this.tls.key, cert: this.tls.cert }, (req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "InternalServerError", message: String(error) } }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    let raw = "";
    for await (const chunk of req) raw += (chunk as Buffer).toString();
    const answer = await this.answer(req.method ?? "GET", url, raw, req.headers.authorization);
    this.requests.push({
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      status: answer.status,
    });
    const headers = { "content-type": "application/json", ...answer.headers };
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
  }

  private async answer(
    method: string,
    url: URL,
    raw: string,
    authorization: string | undefined,
  ): Promise<Answer> {
    const path = url.pathname;
    const tenantPrefix = `/${this.tenantId}`;
    if (path === `${tenantPrefix}/v2.0/.well-known/openid-configuration`)
      return { status: 200, body: this.openIdConfiguration() };
    if (path === `${tenantPrefix}/oauth2/v2.0/token` && method === "POST")
      return this.token(new URLSearchParams(raw));
    const otherTenant = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path)?.[1];
    if (otherTenant && method === "POST")
      return entraRefusal(
        400,
        "invalid_request",
        90002,
        `Tenant '${decodeURIComponent(otherTenant)}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    const expiresAt = token ? this.issuedTokens.get(token) : undefined;
    if (expiresAt === undefined)
      return graphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.");
    if (Date.now() >= expiresAt)
      return graphError(
        401,
        "InvalidAuthenticationToken",
        "Lifetime validation failed, the token is expired.",
      );
    const failure = this.failures.find((candidate) => candidate.kind !== "renewal");
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures = this.failures.filter((candidate) => candidate !== failure);
      return failure.kind === "throttle"
        ? { ...graphError(429, "TooManyRequests", "Too many requests"), headers: { "retry-after": "1" } }
        : graphError(503, "ServiceUnavailable", "Service unavailable");
    }
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== "v1.0") return graphError(404, "Request_ResourceNotFound", `no route ${path}`);
    const [, collection, id, relation, cast] = parts;
    const needed =
      collection === "groups" ? "Group.Read.All" : collection === "users" ? "User.Read.All" : undefined;
    if (needed && !this.permissions.has(needed))
      return graphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    if (collection === "users" && id === "delta" && method === "GET") return this.usersDelta(url);
    if (collection === "users" && !id && method === "GET") {
      const ids = idsOfFilter(url.searchParams.get("$filter"));
      if (ids instanceof Error) return graphError(400, "Request_UnsupportedQuery", ids.message);
      return this.page(url, () =>
        [...this.users.values()].filter((user) => ids === undefined || ids.includes(user.id)),
      );
    }
    if (collection === "users" && id && relation === "transitiveMemberOf" && method === "GET") {
      const user = this.userByIdOrName(id);
      if (!user) return graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist`);
      return this.page(url, () =>
        [...this.groups.values()].filter(
          (group) =>
            this.transitiveMembers(group.id).includes(user.id) &&
            (cast === undefined || cast === "microsoft.graph.group"),
        ),
      );
    }
    if (collection === "users" && id && !relation && method === "GET") {
      const user = this.userByIdOrName(id);
      return user
        ? { status: 200, body: user }
        : graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist`);
    }
    if (collection === "groups" && id === "delta" && method === "GET") return this.delta(url);
    if (collection === "groups" && !id && method === "GET")
      return this.page(url, () => [...this.groups.values()]);
    if (collection === "groups" && id && relation === "transitiveMembers" && method === "GET") {
      if (!this.groups.has(id))
        return graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist`);
      return this.page(url, () =>
        this.transitiveMembers(id).map((memberId) => this.directoryObject(memberId)),
      );
    }
    if (collection === "groups" && id && !relation && method === "GET") {
      const group = this.groups.get(id);
      return group
        ? { status: 200, body: group }
        : graphError(404, "Request_ResourceNotFound", `Resource '${id}' does not exist`);
    }
    if (collection === "subscriptions") return this.subscriptionCall(method, id, raw);
    return graphError(404, "Request_ResourceNotFound", `no route ${method} ${path}`);
  }

  private openIdConfiguration() {
    const authority = `${this.baseUrl}/${this.tenantId}`;
    return {
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      issuer: `${authority}/v2.0`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    };
  }

  /** Answers like Entra, including its refusals: 400 for an unknown app, 401 for a wrong secret. */
  private token(form: URLSearchParams): Answer {
    if (form.get("grant_type") !== "client_credentials")
      return entraRefusal(
        400,
        "unsupported_grant_type",
        70003,
        "The app requested an unsupported grant type.",
      );
    if (form.get("client_id") !== this.clientId) {
      return entraRefusal(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${form.get("client_id")}' was not found in the directory '${this.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (form.get("client_secret") !== this.clientSecret) {
      return entraRefusal(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.clientId}'.`,
      );
    }
    const token = `graph-${randomUUID()}`;
    this.issuedTokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    return {
      status: 200,
      body: {
        token_type: "Bearer",
        expires_in: this.tokenLifetimeSeconds,
        ext_expires_in: this.tokenLifetimeSeconds,
        access_token: token,
      },
    };
  }

  /** Serves a collection in pages with absolute https nextLinks, as Graph does. */
  private page(url: URL, items: () => unknown[], final?: Record<string, string>): Answer {
    const skip = url.searchParams.get("$skiptoken");
    let key: string;
    let offset = 0;
    if (skip) {
      [key, offset] = skip.split(":").map((part, index) => (index === 0 ? part : Number(part))) as [
        string,
        number,
      ];
      if (!this.pagedResults.has(key)) return graphError(400, "Request_BadRequest", "unknown skiptoken");
    } else {
      key = randomUUID();
      this.pagedResults.set(key, items());
    }
    const all = this.pagedResults.get(key)!;
    const size = Math.min(Number(url.searchParams.get("$top") ?? 100), 999);
    const value = all.slice(offset, offset + size);
    const next = offset + size < all.length;
    const link = `${this.baseUrl}${url.pathname}?$skiptoken=${key}:${offset + size}`;
    return { status: 200, body: { value, ...(next ? { "@odata.nextLink": link } : final) } };
  }

  /**
   * groups/delta with `$select=members`: the first round lists every group with its direct members;
   * later rounds list only what changed since the token. A group with many member changes is split
   * across pages (merge per group, order not guaranteed), as the real API does.
   */
  private delta(url: URL): Answer {
    if (url.searchParams.has("$skiptoken")) {
      const [key, offset] = (url.searchParams.get("$skiptoken") ?? "").split(":");
      const entries = this.pagedResults.get(String(key));
      if (!entries) return graphError(400, "Request_BadRequest", "unknown skiptoken");
      return this.deltaPage(String(key), entries, Number(offset));
    }
    const token = url.searchParams.get("$deltatoken");
    if (token !== null && Number(token) < this.deltaValidFrom) {
      return {
        ...graphError(410, "SyncStateNotFound", "The sync state is expired; start a full synchronization."),
        headers: { location: `${this.baseUrl}/v1.0/groups/delta` },
      };
    }
    const since = token === null ? undefined : Number(token);
    const entries: Record<string, unknown>[] = [];
    const slice = (
      groupId: string,
      memberEntries: Record<string, unknown>[],
      extra: Record<string, unknown> = {},
    ) => {
      const group = this.groups.get(groupId);
      if (memberEntries.length === 0)
        entries.push({ id: groupId, displayName: group?.displayName, ...extra });
      for (let start = 0; start < memberEntries.length; start += this.deltaPageSize) {
        entries.push({
          id: groupId,
          displayName: group?.displayName,
          "members@delta": memberEntries.slice(start, start + this.deltaPageSize),
        });
      }
    };
    if (since === undefined) {
      for (const groupId of this.groups.keys()) {
        slice(
          groupId,
          [...(this.members.get(groupId) ?? [])].map((memberId) => this.deltaMember(memberId)),
        );
      }
    } else {
      const net = new Map<string, Map<string, "added" | "removed">>();
      for (const change of this.changes.filter((candidate) => candidate.seq > since && candidate.memberId)) {
        const perGroup = net.get(change.groupId) ?? new Map();
        perGroup.set(change.memberId!, change.change as "added" | "removed");
        net.set(change.groupId, perGroup);
      }
      for (const [groupId, perGroup] of net) {
        slice(
          groupId,
          [...perGroup].map(([memberId, change]) => ({
            ...this.deltaMember(memberId),
            ...(change === "removed" ? { "@removed": { reason: "deleted" } } : {}),
          })),
        );
      }
    }
    const key = randomUUID();
    this.pagedResults.set(key, [...entries, { deltaToken: this.seq }]);
    return this.deltaPage(key, this.pagedResults.get(key)!, 0);
  }

  /**
   * users/delta: the first round lists every user, later rounds the users changed or deleted since
   * the token (a deleted user as `@removed`, reason `changed`: Entra keeps it 30 days in deletedItems).
   */
  private usersDelta(url: URL): Answer {
    const path = "users/delta";
    if (url.searchParams.has("$skiptoken")) {
      const [key, offset] = (url.searchParams.get("$skiptoken") ?? "").split(":");
      const entries = this.pagedResults.get(String(key));
      if (!entries) return graphError(400, "Request_BadRequest", "unknown skiptoken");
      return this.deltaPage(String(key), entries, Number(offset), path);
    }
    const token = url.searchParams.get("$deltatoken");
    if (token !== null && Number(token) < this.deltaValidFrom) {
      return {
        ...graphError(410, "SyncStateNotFound", "The sync state is expired; start a full synchronization."),
        headers: { location: `${this.baseUrl}/v1.0/${path}` },
      };
    }
    const since = token === null ? undefined : Number(token);
    const changed =
      since === undefined
        ? [...this.users.keys()]
        : [
            ...new Set(
              this.userChanges.filter((change) => change.seq > since).map((change) => change.userId),
            ),
          ];
    const entries = changed.map((userId) => {
      const user = this.users.get(userId);
      return user ?? { id: userId, "@removed": { reason: "changed" } };
    });
    const key = randomUUID();
    this.pagedResults.set(key, [...entries, { deltaToken: this.seq }]);
    return this.deltaPage(key, this.pagedResults.get(key)!, 0, path);
  }

  private deltaPage(key: string, entries: unknown[], offset: number, path = "groups/delta"): Answer {
    const pageSize = 2;
    const items = entries.slice(offset, offset + pageSize) as Record<string, unknown>[];
    const end = items.findIndex((item) => "deltaToken" in item);
    if (end >= 0) {
      const deltaToken = items[end]!.deltaToken;
      return {
        status: 200,
        body: {
          value: items.slice(0, end),
          "@odata.deltaLink": `${this.baseUrl}/v1.0/${path}?$deltatoken=${deltaToken}`,
        },
      };
    }
    return {
      status: 200,
      body: {
        value: items,
        "@odata.nextLink": `${this.baseUrl}/v1.0/${path}?$skiptoken=${key}:${offset + pageSize}`,
      },
    };
  }

  private async subscriptionCall(method: string, id: string | undefined, raw: string): Promise<Answer> {
    if (method === "GET" && !id) return { status: 200, body: { value: [...this.subscriptions.values()] } };
    if (method === "POST" && !id) return this.createSubscription(JSON.parse(raw) as Record<string, string>);
    const subscription = id ? this.subscriptions.get(id) : undefined;
    if (!subscription) return graphError(404, "ResourceNotFound", `The object was not found: ${id}`);
    if (method === "DELETE") {
      this.subscriptions.delete(subscription.id);
      return { status: 204 };
    }
    if (method === "PATCH") {
      const renewal = this.failures.find((candidate) => candidate.kind === "renewal");
      if (renewal) {
        renewal.remaining -= 1;
        if (renewal.remaining <= 0)
          this.failures = this.failures.filter((candidate) => candidate !== renewal);
        return renewal.status >= 500
          ? graphError(renewal.status, "InternalServerError", "The subscription could not be updated.")
          : graphError(
              renewal.status,
              "ExtensionError",
              "Operation: Update; Exception: [Status Code: Forbidden; Reason: Access denied]",
            );
      }
      const { expirationDateTime } = JSON.parse(raw) as { expirationDateTime: string };
      const problem = expiryProblem(expirationDateTime);
      if (problem) return graphError(400, "ExtensionError", problem);
      subscription.expirationDateTime = expirationDateTime;
      return { status: 200, body: subscription };
    }
    return graphError(405, "Request_BadRequest", `${method} not allowed`);
  }

  /** Graph validates both URLs before it creates a subscription: POST ?validationToken=…, echo in text/plain within 10 s. */
  private async createSubscription(body: Record<string, string>): Promise<Answer> {
    if (this.subscriptions.size >= maxSubscriptionsPerApp) {
      return graphError(
        403,
        "ExtensionError",
        "Subscription limit of 100 per application per tenant reached.",
      );
    }
    const problem = expiryProblem(body.expirationDateTime ?? "");
    if (problem) return graphError(400, "ExtensionError", problem);
    if (!body.clientState || body.clientState.length > 128)
      return graphError(400, "ExtensionError", "clientState must be 1 to 128 characters.");
    for (const target of [body.notificationUrl, body.lifecycleNotificationUrl].filter(Boolean) as string[]) {
      const validationToken = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
      const answer = await fetch(
        `${this.throughTunnel(target)}${target.includes("?") ? "&" : "?"}validationToken=${encodeURIComponent(validationToken)}`,
        {
          method: "POST",
          headers: { "content-type": "text/plain; charset=utf-8" },
          signal: AbortSignal.timeout(10_000),
        },
      ).catch(() => undefined);
      const text = answer ? await answer.text() : "";
      if (
        answer?.status !== 200 ||
        text !== validationToken ||
        !answer.headers.get("content-type")?.startsWith("text/plain")
      ) {
        return graphError(400, "ValidationError", `Subscription validation request failed for ${target}.`);
      }
    }
    const subscription: GraphSubscriptionState = {
      id: randomUUID(),
      resource: body.resource ?? "",
      changeType: body.changeType ?? "updated",
      notificationUrl: body.notificationUrl ?? "",
      ...(body.lifecycleNotificationUrl ? { lifecycleNotificationUrl: body.lifecycleNotificationUrl } : {}),
      clientState: body.clientState,
      expirationDateTime: body.expirationDateTime ?? "",
    };
    this.subscriptions.set(subscription.id, subscription);
    return { status: 201, body: subscription };
  }

  private throughTunnel(url: string): string {
    for (const [publicBase, localBase] of this.tunnels)
      if (url.startsWith(publicBase)) return localBase + url.slice(publicBase.length);
    return url;
  }

  /** Graph reads a user by objectId or userPrincipalName alike. */
  private userByIdOrName(idOrName: string): GraphUserState | undefined {
    return (
      this.users.get(idOrName) ??
      [...this.users.values()].find(
        (user) => user.userPrincipalName?.toLowerCase() === idOrName.toLowerCase(),
      )
    );
  }

  private transitiveMembers(groupId: string): string[] {
    const seen = new Set<string>();
    const queue = [groupId];
    while (queue.length > 0) {
      for (const memberId of this.members.get(queue.shift()!) ?? []) {
        if (seen.has(memberId) || memberId === groupId) continue;
        seen.add(memberId);
        if (this.groups.has(memberId)) queue.push(memberId);
      }
    }
    return [...seen];
  }

  private directoryObject(id: string): Record<string, unknown> {
    return { "@odata.type": this.groups.has(id) ? "#microsoft.graph.group" : "#microsoft.graph.user", id };
  }

  private deltaMember(id: string): Record<string, unknown> {
    return this.deltaMemberTypes ? this.directoryObject(id) : { id };
  }
}

function graphError(status: number, code: string, message: string): Answer {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString(),
          "request-id": randomUUID(),
          "client-request-id": randomUUID(),
        },
      },
    },
  };
}

/** Entra's token-endpoint error: the AADSTS line first, then trace lines, as login.microsoftonline.com sends it. */
function entraRefusal(status: number, error: string, code: number, message: string): Answer {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

function expiryProblem(expirationDateTime: string): string | undefined {
  const expires = Date.parse(expirationDateTime);
  if (Number.isNaN(expires)) return "expirationDateTime is not a date.";
  if (expires > Date.now() + maxSubscriptionMinutes * 60_000 + 60_000) {
    return `Subscription expiration can only be ${maxSubscriptionMinutes} minutes in the future.`;
  }
  return undefined;
}

/**
 * The one `/users` filter this service sends, `id in ('…', …)`, with Graph's limit of 15 values;
 * anything else is refused as Graph refuses an unsupported query.
 */
function idsOfFilter(filter: string | null): string[] | undefined | Error {
  if (filter === null) return undefined;
  const match = /^id in \((.*)\)$/.exec(filter.trim());
  if (!match) return new Error(`Unsupported query: ${filter}`);
  const ids = [...match[1]!.matchAll(/'((?:[^']|'')*)'/g)].map((quoted) => quoted[1]!.replaceAll("''", "'"));
  if (ids.length > 15) return new Error("Too many values in the 'in' operator: at most 15 are allowed.");
  return ids;
}
