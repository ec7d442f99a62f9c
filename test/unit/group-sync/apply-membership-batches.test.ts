import { describe, expect, it } from "vitest";
import { planMembershipChanges } from "../../../core/domain/membership-plan";
import type { GroupRecord } from "../../../core/ports/ledger-records";
import { applyMembershipBatches } from "../../../core/use-cases/group-sync/apply-membership-batches";
import { type InMemoryLedger, inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import {
  addKiroMembers,
  seedMembership,
  seedSyncedUser,
  seedVersion,
  source,
  useKiroEmulator,
} from "./support";

const kiro = useKiroEmulator();

const deps = (ledger: InMemoryLedger) => ({ ledger, scim: kiro.scim() });
const leaseHeld = () => false;

/** A group in Kiro and in the ledger (`createdByUs` as given); its Kiro id. */
async function kiroGroup(ledger: InMemoryLedger, groupId: string, createdByUs = true): Promise<string> {
  const scimId = String(
    kiro.emulator().directory.createGroup({ displayName: groupId, externalId: groupId }).id,
  );
  await ledger.recordGroupName(source, groupId, groupId, seedVersion());
  await ledger.recordGroupApplied(source, groupId, { scimId, createdByUs, name: groupId });
  return scimId;
}

/** `count` users Kiro has, each a member of the group in the given state; their Kiro ids by IdP id. */
async function members(
  ledger: InMemoryLedger,
  groupId: string,
  prefix: string,
  count: number,
  state: { desired: boolean; applied: boolean },
): Promise<Map<string, string>> {
  const scimIds = new Map<string, string>();
  for (let index = 0; index < count; index++) {
    const userId = `00u${prefix}${String(index).padStart(4, "0")}`;
    scimIds.set(userId, await seedSyncedUser(ledger, kiro.emulator(), userId));
    await seedMembership(ledger, groupId, userId, state);
  }
  return scimIds;
}

/** What a pass plans for the group as the ledger now holds it. */
async function planFor(ledger: InMemoryLedger, group: GroupRecord, kiroUserIds: Map<string, string>) {
  const memberships = await ledger.listMemberships(source, group.idpId);
  return planMembershipChanges(memberships, kiroUserIds, new Map(), { groupDeleted: group.deleted });
}

const memberPatches = () =>
  kiro
    .emulator()
    .requests()
    .filter((request) => request.method === "PATCH");

describe("applyMembershipBatches", () => {
  it("sends adds and removes in PATCHes of at most 100 and records every one applied", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const scimGroupId = await kiroGroup(ledger, "00gbatch1");
    const joiners = await members(ledger, "00gbatch1", "join", 150, { desired: true, applied: false });
    const leavers = await members(ledger, "00gbatch1", "leave", 120, { desired: false, applied: true });
    addKiroMembers(kiro.emulator(), scimGroupId, [...leavers.values()]);
    const group = (await ledger.getGroup(source, "00gbatch1"))!;
    const plan = await planFor(ledger, group, new Map([...joiners, ...leavers]));

    // Act
    const outcome = await applyMembershipBatches(group, scimGroupId, plan, deps(ledger), leaseHeld);

    // Assess
    expect(memberPatches().map((request) => request.memberChanges)).toEqual([100, 50, 100, 20]);
    expect(kiro.emulator().directory.membersOf(scimGroupId).sort()).toEqual([...joiners.values()].sort());
    expect(outcome).toEqual({ added: 150, removed: 120, failed: 0 });
    const memberships = await ledger.listMemberships(source, "00gbatch1");
    expect(memberships.filter((membership) => membership.status !== "synced")).toEqual([]);
    expect(
      memberships.filter((membership) => membership.applied).map((membership) => membership.userId),
    ).toEqual([...joiners.keys()]);
    expect((await ledger.getGroup(source, "00gbatch1"))?.patchIntent).toBeUndefined();
  });

  it("splits a chunk Kiro refuses as invalid until the one bad member is found: it fails, the rest are applied", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const scimGroupId = await kiroGroup(ledger, "00gbatch2");
    const joiners = await members(ledger, "00gbatch2", "split", 10, { desired: true, applied: false });
    const badScimId = joiners.get("00usplit0006")!;
    kiro.emulator().directory.deleteUser(badScimId);
    const group = (await ledger.getGroup(source, "00gbatch2"))!;
    const plan = await planFor(ledger, group, joiners);

    // Act
    const outcome = await applyMembershipBatches(group, scimGroupId, plan, deps(ledger), leaseHeld);

    // Assess
    const good = [...joiners.values()].filter((id) => id !== badScimId);
    expect(kiro.emulator().directory.membersOf(scimGroupId).sort()).toEqual(good.sort());
    const accepted = memberPatches().filter((request) => request.status === 204);
    expect(accepted.reduce((sum, request) => sum + (request.memberChanges ?? 0), 0)).toBe(9);
    expect(outcome).toMatchObject({ added: 9, failed: 1 });
    const memberships = await ledger.listMemberships(source, "00gbatch2");
    expect(memberships.filter((membership) => membership.status !== "synced")).toEqual([
      expect.objectContaining({
        userId: "00usplit0006",
        status: "failed",
        errorCode: "SCIM.INVALID",
        reason: `Kiro refused the add: Member ${badScimId} is not a user of this identity store.`,
      }),
    ]);
    expect((await ledger.getGroup(source, "00gbatch2"))?.patchIntent).toBeUndefined();
  });

  it("forgets a group deleted in Kiro, with its applied members, and asks for a retry that creates it again", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const scimGroupId = await kiroGroup(ledger, "00gbatch9");
    const kept = await members(ledger, "00gbatch9", "gone", 2, { desired: true, applied: true });
    const joiners = await members(ledger, "00gbatch9", "late", 1, { desired: true, applied: false });
    kiro.emulator().directory.deleteGroup(scimGroupId);
    const group = (await ledger.getGroup(source, "00gbatch9"))!;
    const plan = await planFor(ledger, group, new Map([...kept, ...joiners]));

    // Act
    const failure = await applyMembershipBatches(group, scimGroupId, plan, deps(ledger), leaseHeld).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ code: "GROUP.GONE_FROM_KIRO", retryable: true });
    const after = (await ledger.getGroup(source, "00gbatch9"))!;
    expect(after.scimId).toBeUndefined();
    expect(after.dirtyVersion).toBeGreaterThan(after.syncedVersion);
    const memberships = await ledger.listMemberships(source, "00gbatch9");
    expect(memberships.every((membership) => membership.desired && !membership.applied)).toBe(true);
  });

  it("deletes from Kiro a group the IdP deleted that we created, and records its members gone", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const scimGroupId = await kiroGroup(ledger, "00gbatch3");
    const kept = await members(ledger, "00gbatch3", "deleted", 3, { desired: true, applied: true });
    addKiroMembers(kiro.emulator(), scimGroupId, [...kept.values()]);
    await ledger.recordGroupDeleted(source, "00gbatch3", seedVersion());
    const group = (await ledger.getGroup(source, "00gbatch3"))!;
    const plan = await planFor(ledger, group, kept);

    // Act
    const outcome = await applyMembershipBatches(group, scimGroupId, plan, deps(ledger), leaseHeld);

    // Assess
    expect(kiro.emulator().directory.snapshot().groups).toEqual([]);
    expect(
      kiro
        .emulator()
        .requests()
        .map((request) => `${request.method} ${request.path}`),
    ).toEqual([`DELETE /Groups/${scimGroupId}`]);
    expect(outcome.removed).toBe(3);
    expect((await ledger.getGroup(source, "00gbatch3"))?.scimId).toBeUndefined();
    const memberships = await ledger.listMemberships(source, "00gbatch3");
    expect(memberships.map((membership) => membership.applied)).toEqual([false, false, false]);
  });

  it("sends nothing once another worker took the group's lease", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const scimGroupId = await kiroGroup(ledger, "00gbatch4");
    const joiners = await members(ledger, "00gbatch4", "lease", 2, { desired: true, applied: false });
    const group = (await ledger.getGroup(source, "00gbatch4"))!;
    const plan = await planFor(ledger, group, joiners);

    // Act
    const failure = await applyMembershipBatches(group, scimGroupId, plan, deps(ledger), () => true).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ code: "LEASE.LOST", retryable: true });
    expect(memberPatches()).toEqual([]);
    expect(kiro.emulator().directory.membersOf(scimGroupId)).toEqual([]);
  });

  it("keeps the intent of the chunk of 100 whose outcome Kiro's answer left unknown, for the next pass to settle", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const scimGroupId = await kiroGroup(ledger, "00gbatch5");
    const joiners = await members(ledger, "00gbatch5", "unknown", 101, { desired: true, applied: false });
    kiro.emulator().addFault({ kind: "server-error", count: 1, method: "PATCH" });
    const group = (await ledger.getGroup(source, "00gbatch5"))!;
    const plan = await planFor(ledger, group, joiners);

    // Act
    const failure = await applyMembershipBatches(group, scimGroupId, plan, deps(ledger), leaseHeld).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ code: "SCIM.SERVER_ERROR", retryable: true });
    expect((await ledger.getGroup(source, "00gbatch5"))?.patchIntent).toMatchObject({
      op: "add",
      userIds: [...joiners.keys()].slice(0, 100),
    });
    expect(memberPatches()).toHaveLength(1);
  });
});
