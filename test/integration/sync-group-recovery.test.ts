import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DynamoLedger } from "../../core/adapters/dynamo/dynamo-ledger";
import { OktaDirectory } from "../../core/adapters/okta/okta-directory";
import { ScimError } from "../../core/domain/errors";
import type { SyncEvent } from "../../core/domain/sync-events";
import type { KiroScimPort } from "../../core/ports/kiro-scim";
import { recheckWhenLeaseEnds } from "../../core/use-cases/deliver-with-retries";
import { type SyncGroupDependencies, syncGroup } from "../../core/use-cases/sync-group";
import { OktaOrgServer } from "../../local/okta-org/okta-org-server";
import { KiroScimEmulator } from "../../local/scim-emulator/kiro-scim-emulator";
import { freshLedger } from "../support/ledger-fixture";
import { emulatorClient } from "../support/scim-client-fixture";

let ledger: DynamoLedger;
let emulator: KiroScimEmulator;
let org: OktaOrgServer;
let serial = 0;

beforeAll(async () => {
  ({ ledger } = await freshLedger());
  emulator = await KiroScimEmulator.start();
  org = await OktaOrgServer.start();
});
afterAll(async () => {
  await emulator.stop();
  await org.stop();
});

const scim = () => emulatorClient(emulator);

function deps(overrides: Partial<SyncGroupDependencies> = {}): SyncGroupDependencies {
  return {
    ledger,
    bus: { publish: async () => undefined },
    scim: scim(),
    directory: new OktaDirectory({ orgUrl: org.orgUrl, token: org.apiToken }),
    removalPolicy: "deactivate",
    ...overrides,
  };
}

/** A new Okta group of `size` new users, recorded in the ledger as an event would record it. */
async function groupOf(size: number): Promise<{ groupId: string; userIds: string[] }> {
  serial += 1;
  const groupId = `00grecovery${String(serial).padStart(9, "0")}`;
  org.addGroup({ id: groupId, name: `Recovery-${serial}` });
  const userIds = Array.from({ length: size }, (_, index) => {
    const id = `00urecovery${String(serial * 100 + index).padStart(9, "0")}`;
    const login = `recovery${serial}-${index}@example.com`;
    org.addUser({
      id,
      status: "ACTIVE",
      profile: { login, email: login, firstName: "Re", lastName: "Covery" },
    });
    org.addMember(groupId, id);
    return id;
  });
  const version = `${new Date().toISOString()}#seed-${serial}`;
  await ledger.recordGroupName("okta", groupId, `Recovery-${serial}`, version);
  for (const userId of userIds) {
    await ledger.requestUserProfile("okta", userId, version, { onlyIfKnown: false, onlyIfNoProfile: true });
    await ledger.recordDesiredMembership("okta", groupId, userId, true, version);
  }
  return { groupId, userIds };
}

const kiroMembers = async (groupId: string) => {
  const group = await ledger.getGroup("okta", groupId);
  const externalIdOf = new Map(
    emulator.directory.snapshot().users.map((user) => [String(user.id), String(user.externalId)]),
  );
  return emulator.directory.membersOf(group!.scimId!).map((id) => externalIdOf.get(id) ?? id);
};

/** Kiro applies the PATCH, then the worker dies before it can record the result (a kill, a timeout). */
function dyingAfterPatch(port: KiroScimPort): KiroScimPort {
  return Object.assign(Object.create(port) as KiroScimPort, {
    addMembers: async (groupId: string, userIds: readonly string[]) => {
      await port.addMembers(groupId, userIds);
      throw new ScimError("timeout", "the worker died after Kiro applied the PATCH");
    },
  });
}

describe("a worker that dies between a member PATCH and its record", () => {
  it("still applies the removal that follows, because the next pass asks Kiro what the lost PATCH did", async () => {
    // Prepare
    const { groupId, userIds } = await groupOf(3);
    await syncGroup({ source: "okta", groupId }, deps({ scim: dyingAfterPatch(scim()) })).catch(
      () => undefined,
    );
    const leaver = userIds[0]!;
    org.removeMember(groupId, leaver);
    await ledger.recordDesiredMembership(
      "okta",
      groupId,
      leaver,
      false,
      `${new Date().toISOString()}#removed`,
    );

    // Act
    await syncGroup({ source: "okta", groupId }, deps());

    // Assess
    expect((await kiroMembers(groupId)).sort()).toEqual(userIds.slice(1).sort());
    expect((await ledger.getGroup("okta", groupId))?.patchIntent).toBeUndefined();
  });

  it("keeps each answered settle read when others fail, so the next pass reads only the rest", async () => {
    // Prepare
    const { groupId, userIds } = await groupOf(6);
    await syncGroup({ source: "okta", groupId }, deps({ scim: dyingAfterPatch(scim()) })).catch(
      () => undefined,
    );
    const reads: string[] = [];
    let answered = 0;
    const flaky = Object.assign(Object.create(scim()) as KiroScimPort, {
      isMember: async (scimGroupId: string, scimUserId: string) => {
        reads.push(scimUserId);
        answered += 1;
        if (answered % 2 === 0) throw new ScimError("server-error", "Kiro SCIM 500", { status: 500 });
        return emulator.directory.membersOf(scimGroupId).includes(scimUserId);
      },
    });

    // Act
    const failed = await syncGroup({ source: "okta", groupId }, deps({ scim: flaky })).catch(
      (error: unknown) => error,
    );
    const left = (await ledger.getGroup("okta", groupId))?.patchIntent?.userIds ?? [];
    await syncGroup({ source: "okta", groupId }, deps());

    // Assess
    expect(failed).toBeInstanceOf(ScimError);
    expect(reads).toHaveLength(6);
    expect(left).toHaveLength(3);
    expect((await kiroMembers(groupId)).sort()).toEqual([...userIds].sort());
    expect((await ledger.getGroup("okta", groupId))?.patchIntent).toBeUndefined();
  });
});

describe("group leases", () => {
  it("lets a new worker take a group within the lease TTL of a holder that died", async () => {
    // Prepare
    const { groupId, userIds } = await groupOf(2);
    await ledger.acquireGroupLease("okta", groupId, "dead-worker", 1_500);
    const busy = await syncGroup({ source: "okta", groupId }, deps({ leaseTtlMs: 1_500 }));
    await new Promise((resolve) => setTimeout(resolve, Date.parse(busy.recheckAt!) - Date.now() + 100));

    // Act
    const recheck = await syncGroup({ source: "okta", groupId }, deps({ leaseTtlMs: 1_500 }));

    // Assess
    expect(busy.outcome).toBe("busy");
    expect(Date.parse(busy.recheckAt!) - Date.now()).toBeLessThan(1_500);
    expect(recheck.outcome).toBe("synced");
    expect((await kiroMembers(groupId)).sort()).toEqual([...userIds].sort());
  });

  it("keeps the lease of a live holder whose pass outlasts the TTL, so no second worker sends at once", async () => {
    // Prepare
    const { groupId } = await groupOf(2);
    const slowScim = scim();
    const slow = Object.assign(Object.create(slowScim) as KiroScimPort, {
      addMembers: async (id: string, ids: readonly string[]) => {
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        await slowScim.addMembers(id, ids);
      },
    });
    const holder = syncGroup({ source: "okta", groupId }, deps({ scim: slow, leaseTtlMs: 1_200 }));
    await new Promise((resolve) => setTimeout(resolve, 1_800));

    // Act
    const second = await syncGroup({ source: "okta", groupId }, deps({ leaseTtlMs: 1_200 }));

    // Assess
    expect(second.outcome).toBe("busy");
    expect((await holder).outcome).toBe("synced");
  });

  it("schedules one re-check for just after the lease ends, however many deliveries found the group busy", async () => {
    // Prepare
    const scheduled: { at: Date; name: string }[] = [];
    const retries = {
      schedule: async (_event: SyncEvent, at: Date, name: string) => void scheduled.push({ at, name }),
    };
    const event: SyncEvent = {
      type: "GroupChanged",
      detail: { source: "okta", groupId: "00gbusy", attempt: 1 },
    };
    const leaseEndsAt = new Date(Date.now() + 60_000).toISOString();

    // Act
    for (let delivery = 0; delivery < 3; delivery++) await recheckWhenLeaseEnds(event, leaseEndsAt, retries);

    // Assess
    expect(new Set(scheduled.map((entry) => entry.name)).size).toBe(1);
    expect(scheduled[0]!.at.getTime()).toBeGreaterThan(Date.parse(leaseEndsAt));
    expect(scheduled[0]!.at.getTime() - Date.parse(leaseEndsAt)).toBeLessThanOrEqual(5_000);
  });
});
