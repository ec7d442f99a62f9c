import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { key } from "../../core/adapters/dynamo/ledger-table-access";
import type { GraphUserState } from "../../local/graph/graph-tenant-server";
import { sampleEntraGroups } from "../../local/graph/sample-tenant";
import type { LocalRuntime } from "../../local/local-runtime";
import {
  fetchStatus,
  kiroMembersByExternalId,
  ledgerItemCount,
  startTestRuntime,
  stopTestRuntime,
} from "../support/runtime-fixture";

let runtime: LocalRuntime;
let serial = 0;
const { developers, platform, sre } = sampleEntraGroups;

beforeAll(async () => {
  runtime = await startTestRuntime({ SYNC_GROUPS: "Kiro-*" });
});
afterAll(() => stopTestRuntime(runtime));

const tenant = () => runtime.graphTenant!;
const sampleUser = (index: number) => `e0a1f9d2-0000-4000-9000-${String(index).padStart(12, "0")}`;

function entraUser(): GraphUserState {
  serial += 1;
  const user: GraphUserState = {
    id: `e0a1f9d2-1111-4000-9000-${String(serial).padStart(12, "0")}`,
    userPrincipalName: `person${serial}@contoso.example`,
    displayName: `Person ${serial}`,
    givenName: "Person",
    surname: `${serial}`,
    mail: `person${serial}@contoso.example`,
    accountEnabled: true,
  };
  tenant().addUser(user);
  return user;
}

/** Deletes the ledger's records of these subscriptions, as the loss of the ledger table does. */
async function forgetSubscriptions(resources: string[]) {
  for (const resource of resources) {
    const { pk, sk } = key.subscription(resource);
    await runtime.dynamo.client.send(
      new DeleteItemCommand({
        TableName: runtime.config.ledgerTableName,
        Key: { pk: { S: pk }, sk: { S: sk } },
      }),
    );
  }
}

async function notify(
  groupId: string,
  delta?: { added?: string[]; removed?: string[] },
  clientState?: string,
) {
  const status = await tenant().notifyGroupChange(groupId, delta, clientState ? { clientState } : {});
  await runtime.bus.idle();
  return status;
}

describe("handshake and authenticity", () => {
  it("echoes exactly the decoded validation token as text/plain", async () => {
    // Prepare
    const token = "Validation: Testing client application reachability <script>alert(1)</script> & more";

    // Act
    const response = await fetch(
      `${runtime.url}/entra/notifications?validationToken=${encodeURIComponent(token)}`,
      {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
      },
    );

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe(token);
  });

  it("drops a notification with the wrong clientState, answers 202 and changes nothing", async () => {
    // Prepare
    const stranger = entraUser();
    const before = await ledgerItemCount(runtime);

    // Act
    const status = await notify(developers.id, { added: [stranger.id] }, "forged-client-state");

    // Assess
    expect(status).toBe(202);
    expect(await ledgerItemCount(runtime)).toBe(before);
    expect(kiroMembersByExternalId(runtime, developers.displayName)).not.toContain(stranger.id);
  });
});

describe("batched notifications", () => {
  it("applies the genuine items of a batch and drops only the forged one", async () => {
    // Prepare
    const [genuine, forged] = [entraUser(), entraUser()];
    tenant().addMember(developers.id, genuine.id);

    // Act
    const status = await tenant().notifyGroupChanges([
      {
        groupId: "e0a1f9d2-9999-4000-8000-000000000000",
        delta: { added: [forged.id] },
        clientState: "forged",
      },
      { groupId: developers.id, delta: undefined },
    ]);
    await runtime.bus.idle();

    // Assess
    expect(status).toBe(202);
    const members = kiroMembersByExternalId(runtime, developers.displayName);
    expect(members).toContain(genuine.id);
    expect(members).not.toContain(forged.id);
    tenant().removeMember(developers.id, genuine.id);
    await notify(developers.id, undefined);
  });
});

describe("nested groups, flattened", () => {
  it("starts with every transitive member of Kiro-Developers in the Kiro group, and the nested groups not synced", () => {
    // Assess
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toEqual(
      [0, 1, 2, 3, 4].map(sampleUser).sort(),
    );
    expect(runtime.emulator!.directory.snapshot().groups.map((group) => group.displayName)).not.toContain(
      platform.displayName,
    );
  });

  it("adds a user who joins a nested subgroup to the Kiro group", async () => {
    // Prepare
    const joiner = entraUser();
    tenant().addMember(sre.id, joiner.id);

    // Act
    await notify(sre.id, { added: [joiner.id] });

    // Assess
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toContain(joiner.id);
  });

  it("removes a user who leaves the subgroup, unless still a member through another path", async () => {
    // Prepare
    const [leaver, stayer] = [sampleUser(2), sampleUser(4)];
    tenant().addMember(developers.id, stayer);
    await notify(developers.id, { added: [stayer] });

    // Act
    tenant().removeMember(platform.id, leaver);
    await notify(platform.id, { removed: [leaver] });
    tenant().removeMember(sre.id, stayer);
    await notify(sre.id, { removed: [stayer] });

    // Assess
    const members = kiroMembersByExternalId(runtime, developers.displayName);
    expect(members).not.toContain(leaver);
    expect(members).toContain(stayer);
    expect(members).toEqual(tenant().transitiveUserIds(developers.id).sort());
  });

  it("refreshes a group whose notification has no member detail and converges to Graph", async () => {
    // Prepare
    const quiet = entraUser();
    tenant().addMember(developers.id, quiet.id);
    tenant().removeMember(developers.id, sampleUser(0));

    // Act
    await notify(developers.id, undefined);

    // Assess
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toEqual(
      tenant().transitiveUserIds(developers.id).sort(),
    );
  });
});

describe("users", () => {
  it("re-reads a user named in a /users notification and updates Kiro, including accountEnabled", async () => {
    // Prepare
    const user = tenant().users.get(sampleUser(1))!;
    user.displayName = "Annie J. Easley";
    user.jobTitle = "Rocket Scientist";
    user.accountEnabled = false;

    // Act
    await tenant().notifyUserChange(user.id);
    await runtime.bus.idle();

    // Assess
    const kiro = runtime
      .emulator!.directory.snapshot()
      .users.find((candidate) => candidate.externalId === user.id);
    expect(kiro).toMatchObject({ displayName: "Annie J. Easley", title: "Rocket Scientist", active: false });
  });
});

describe("notifications, whatever their order and member types", () => {
  let flat: { id: string; displayName: string };
  let starter: GraphUserState;

  beforeAll(async () => {
    serial += 1;
    flat = {
      id: `e0a1f9d2-2222-4000-8000-${String(serial).padStart(12, "0")}`,
      displayName: `Kiro-Flat-${serial}`,
    };
    starter = entraUser();
    tenant().addGroup(flat);
    tenant().addMember(flat.id, starter.id);
    await runtime.runEntraMaintenance();
  });

  it("flattens a group added into a flat group by notification instead of taking it for a user", async () => {
    // Prepare
    serial += 1;
    const guild = {
      id: `e0a1f9d2-3333-4000-8000-${String(serial).padStart(12, "0")}`,
      displayName: "Data Guild",
    };
    const guildMembers = [entraUser(), entraUser()];
    tenant().addGroup(guild);
    for (const member of guildMembers) tenant().addMember(guild.id, member.id);
    tenant().addMember(flat.id, guild.id);

    // Act
    await notify(flat.id, { added: [guild.id] });
    const status = await fetchStatus<{ failures: { id: string }[] }>(runtime);

    // Assess
    expect(kiroMembersByExternalId(runtime, flat.displayName)).toEqual(
      [starter.id, ...guildMembers.map((member) => member.id)].sort(),
    );
    expect(status.failures.map((failure) => failure.id)).not.toContain(guild.id);
  });

  it("keeps a member whose removal notification arrives after the re-add it preceded", async () => {
    // Prepare
    const returner = entraUser();
    tenant().addMember(flat.id, returner.id);

    // Act
    await notify(flat.id, { added: [returner.id] });
    await notify(flat.id, { removed: [returner.id] });

    // Assess
    expect(kiroMembersByExternalId(runtime, flat.displayName)).toContain(returner.id);
  });

  it("leaves out a member whose add notification arrives after the removal that followed it", async () => {
    // Prepare
    const visitor = entraUser();

    // Act
    await notify(flat.id, { removed: [visitor.id] });
    await notify(flat.id, { added: [visitor.id] });

    // Assess
    expect(kiroMembersByExternalId(runtime, flat.displayName)).not.toContain(visitor.id);
  });
});

describe("redelivered notifications", () => {
  it("re-reads a group from Graph once however many times Graph redelivers its notification", async () => {
    // Prepare
    const joiner = entraUser();
    tenant().addMember(developers.id, joiner.id);
    const groupReads = () =>
      tenant().requests.filter(
        (request) =>
          request.method === "GET" &&
          request.path.startsWith(`/v1.0/groups/${developers.id}/transitiveMembers`) &&
          !request.path.includes("skiptoken"),
      ).length;
    const before = groupReads();

    // Act
    await notify(developers.id, { added: [joiner.id] });
    const redeliveries: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      redeliveries.push(await tenant().redeliverLastNotification());
      await runtime.bus.idle();
    }

    // Assess
    expect(redeliveries).toEqual([202, 202, 202, 202]);
    expect(groupReads() - before).toBe(1);
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toContain(joiner.id);
  });
});

describe("delta query", () => {
  it("merges a large new group delivered over several delta pages", async () => {
    // Prepare
    const big = { id: "e0a1f9d2-2222-4000-8000-000000000001", displayName: "Kiro-Big" };
    tenant().addGroup(big);
    const people = Array.from({ length: 120 }, () => entraUser());
    for (const person of people) tenant().addMember(big.id, person.id);

    // Act
    await runtime.runEntraMaintenance();

    // Assess
    expect(kiroMembersByExternalId(runtime, big.displayName)).toEqual(
      people.map((person) => person.id).sort(),
    );
  }, 60_000);

  it("applies a change that arrives both by notification and by delta once", async () => {
    // Prepare
    const big = "e0a1f9d2-2222-4000-8000-000000000001";
    const newcomer = entraUser();
    tenant().addMember(big, newcomer.id);
    runtime.emulator!.clearRequests();

    // Act
    await notify(big, { added: [newcomer.id] });
    await runtime.runEntraMaintenance();

    // Assess
    const patches = runtime
      .emulator!.requests()
      .filter((entry) => entry.method === "PATCH" && entry.path.startsWith("/Groups/"));
    expect(kiroMembersByExternalId(runtime, "Kiro-Big")).toContain(newcomer.id);
    expect(patches.map((entry) => entry.memberChanges)).toEqual([1]);
  });

  it("resyncs in full when the deltaLink has expired, and converges", async () => {
    // Prepare
    const late = entraUser();
    tenant().addMember(platform.id, late.id);
    tenant().expireDeltaTokens();

    // Act
    const result = (await runtime.runEntraMaintenance()) as { fullResync: boolean };

    // Assess
    expect(result.fullResync).toBe(true);
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toEqual(
      tenant().transitiveUserIds(developers.id).sort(),
    );
  });
});

describe("delta round, members without a type", () => {
  it("flattens a nested group that arrives untyped in a delta round instead of recording it as a user", async () => {
    // Prepare
    serial += 1;
    const flat = {
      id: `e0a1f9d2-5555-4000-8000-${String(serial).padStart(12, "0")}`,
      displayName: `Kiro-Untyped-${serial}`,
    };
    const starter = entraUser();
    tenant().addGroup(flat);
    tenant().addMember(flat.id, starter.id);
    await runtime.runEntraMaintenance();
    const guild = { id: `e0a1f9d2-6666-4000-8000-${String(serial).padStart(12, "0")}`, displayName: "Guild" };
    const guildMembers = [entraUser(), entraUser()];
    tenant().addGroup(guild);
    for (const member of guildMembers) tenant().addMember(guild.id, member.id);
    tenant().addMember(flat.id, guild.id);
    tenant().deltaMemberTypes = false;

    // Act
    try {
      await runtime.runEntraMaintenance();
    } finally {
      tenant().deltaMemberTypes = true;
    }
    const status = await fetchStatus<{ failures: { id: string; code?: string }[] }>(runtime);

    // Assess
    expect(kiroMembersByExternalId(runtime, flat.displayName)).toEqual(
      [starter.id, ...guildMembers.map((member) => member.id)].sort(),
    );
    expect(status.failures.filter((failure) => failure.id === guild.id)).toEqual([]);
    expect(await runtime.dependencies.ledger.getUser("entra", guild.id)).toBeUndefined();
  });
});

describe("subscriptions", () => {
  it("created one subscription each for /groups and /users at start", () => {
    // Assess
    expect([...tenant().subscriptions.values()].map((subscription) => subscription.resource).sort()).toEqual([
      "groups",
      "users",
    ]);
  });

  it("lists each subscription in /status with its resource, expiry and hours left", async () => {
    // Prepare
    const expiryInGraph = (resource: string) =>
      [...tenant().subscriptions.values()].find((subscription) => subscription.resource === resource)!
        .expirationDateTime;

    // Act
    const report = await fetchStatus<{
      subscriptions: { resource: string; expiresAt: string; expiresInHours: number }[];
    }>(runtime);

    // Assess
    const listed = [...report.subscriptions].sort((a, b) => a.resource.localeCompare(b.resource));
    expect(listed.map(({ resource, expiresAt }) => ({ resource, expiresAt }))).toEqual([
      { resource: "groups", expiresAt: expiryInGraph("groups") },
      { resource: "users", expiresAt: expiryInGraph("users") },
    ]);
    for (const subscription of listed)
      expect(subscription.expiresInHours).toBeCloseTo(
        (Date.parse(subscription.expiresAt) - Date.now()) / 3_600_000,
        0,
      );
  });

  it("renews a subscription 12 h from expiry", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const record = (await ledger.getSubscription("groups"))!;
    const soon = new Date(Date.now() + 12 * 3_600_000).toISOString();
    await ledger.recordSubscription({ ...record, expiresAt: soon });

    // Act
    const run = (await runtime.runEntraMaintenance()) as { renewed: string[] };

    // Assess
    expect(run.renewed).toEqual(["groups"]);
    expect(Date.parse((await ledger.getSubscription("groups"))!.expiresAt)).toBeGreaterThan(
      Date.now() + 20 * 24 * 3_600_000,
    );
  });

  it("shows a failing renewal of a subscription that expires within a day in /status", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const record = (await ledger.getSubscription("users"))!;
    await ledger.recordSubscription({
      ...record,
      expiresAt: new Date(Date.now() + 12 * 3_600_000).toISOString(),
    });
    tenant().failNext("renewal", 1, { status: 500 });

    // Act
    await runtime.runEntraMaintenance();
    const response = await fetch(`${runtime.url}/status`, {
      headers: { authorization: `Bearer ${runtime.config.statusToken}` },
    });
    const report = (await response.json()) as { alerts: string[] };

    // Assess
    expect(report.alerts).toEqual([
      expect.stringMatching(/^Graph subscription for users expires in 1[12](\.\d)? h and renewal failed: /),
    ]);
    expect((await ledger.getSubscription("users"))!.subscriptionId).toBe(record.subscriptionId);
    expect(tenant().subscriptions.has(record.subscriptionId)).toBe(true);
  });

  it("replaces a subscription whose renewal Graph refuses for good, and keeps one per resource", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const record = (await ledger.getSubscription("users"))!;
    const notificationUrl = tenant().subscriptions.get(record.subscriptionId)!.notificationUrl;
    await ledger.recordSubscription({
      ...record,
      expiresAt: new Date(Date.now() + 12 * 3_600_000).toISOString(),
    });
    tenant().failNext("renewal", 1, { status: 403 });

    // Act
    await runtime.runEntraMaintenance();
    const report = await fetchStatus<{ alerts: string[] }>(runtime);

    // Assess
    const replacement = (await ledger.getSubscription("users"))!;
    const ours = [...tenant().subscriptions.values()].filter(
      (each) => each.resource === "users" && each.notificationUrl === notificationUrl,
    );
    expect(replacement.subscriptionId).not.toBe(record.subscriptionId);
    expect(replacement.renewalError).toBeUndefined();
    expect(ours.map((each) => each.id)).toEqual([replacement.subscriptionId]);
    expect(report.alerts.filter((alert) => alert.startsWith("Graph subscription"))).toEqual([]);
  });

  it("adopts the subscriptions Graph holds for our URL when the ledger has no record of them, creating none", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const groups = tenant().subscriptions.get((await ledger.getSubscription("groups"))!.subscriptionId)!;
    tenant().subscriptions.set("left-before-the-ledger-was-lost", {
      ...groups,
      id: "left-before-the-ledger-was-lost",
    });
    await forgetSubscriptions(["groups", "users"]);
    const ours = (resource: string) =>
      [...tenant().subscriptions.values()].filter(
        (each) => each.resource === resource && each.notificationUrl === groups.notificationUrl,
      );
    const creations = () =>
      tenant().requests.filter(
        (request) => request.method === "POST" && request.path === "/v1.0/subscriptions",
      ).length;
    const createdBefore = creations();

    // Act
    const run = (await runtime.runEntraMaintenance()) as { created: string[] };

    // Assess
    expect(run.created).toEqual([]);
    expect(creations()).toBe(createdBefore);
    expect(ours("groups")).toHaveLength(1);
    expect(ours("users")).toHaveLength(1);
    expect((await ledger.getSubscription("groups"))!.subscriptionId).toBe(ours("groups")[0]!.id);
    expect((await ledger.getSubscription("users"))!.subscriptionId).toBe(ours("users")[0]!.id);
  });

  it("recreates a removed subscription and resyncs the synced groups", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const removed = (await ledger.getSubscription("groups"))!;
    tenant().subscriptions.delete(removed.subscriptionId);
    tenant().subscriptions.set(removed.subscriptionId, {
      ...[...tenant().subscriptions.values()][0]!,
      id: removed.subscriptionId,
      resource: "groups-removed",
    });
    const missedMember = entraUser();
    tenant().addMember(developers.id, missedMember.id);

    // Act
    const status = await tenant().notifyLifecycle(removed.subscriptionId, "subscriptionRemoved");
    await runtime.bus.idle();

    // Assess
    expect(status).toBe(202);
    expect((await ledger.getSubscription("groups"))!.subscriptionId).not.toBe(removed.subscriptionId);
    expect(kiroMembersByExternalId(runtime, developers.displayName)).toContain(missedMember.id);
  });

  it("keeps one subscription per resource on missed: renews the one Graph holds and deletes duplicates", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const record = (await ledger.getSubscription("groups"))!;
    const original = tenant().subscriptions.get(record.subscriptionId)!;
    const duplicate = {
      ...original,
      id: "duplicate-left-by-an-earlier-missed",
      expirationDateTime: original.expirationDateTime,
    };
    tenant().subscriptions.set(duplicate.id, duplicate);
    const ours = (resource: string) =>
      [...tenant().subscriptions.values()].filter(
        (each) => each.resource === resource && each.notificationUrl === original.notificationUrl,
      );

    // Act
    const status = await tenant().notifyLifecycle(record.subscriptionId, "missed");
    await runtime.bus.idle();

    // Assess
    expect(status).toBe(202);
    expect(ours("groups")).toHaveLength(1);
    expect(ours("users")).toHaveLength(1);
    expect((await ledger.getSubscription("groups"))!.subscriptionId).toBe(ours("groups")[0]!.id);
  });

  it("renews on reauthorizationRequired", async () => {
    // Prepare
    const ledger = runtime.dependencies.ledger;
    const record = (await ledger.getSubscription("groups"))!;
    await ledger.recordSubscription({ ...record, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });

    // Act
    const status = await tenant().notifyLifecycle(record.subscriptionId, "reauthorizationRequired");

    // Assess
    expect(status).toBe(202);
    expect(Date.parse((await ledger.getSubscription("groups"))!.expiresAt)).toBeGreaterThan(
      Date.now() + 20 * 24 * 3_600_000,
    );
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty"])(
    "counts a lifecycle event named %s like any unknown one: 202, not a 500 that fires the hook alarm",
    async (lifecycleEvent) => {
      // Prepare
      const record = (await runtime.dependencies.ledger.getSubscription("groups"))!;

      // Act
      const status = await tenant().notifyLifecycle(record.subscriptionId, lifecycleEvent);

      // Assess
      expect(status).toBe(202);
    },
  );
});
