import { describe, expect, it } from "vitest";
import { ensureGroup } from "../../../core/use-cases/group-sync/ensure-group";
import { type InMemoryLedger, inMemoryLedger } from "../../support/doubles/in-memory-ledger";
import { seedVersion, source, useKiroEmulator } from "./support";

const kiro = useKiroEmulator();

const deps = (ledger: InMemoryLedger) => ({ ledger, scim: kiro.scim() });

/** A group the IdP named, as the ledger holds it. */
async function namedGroup(ledger: InMemoryLedger, groupId: string, name: string) {
  await ledger.recordGroupName(source, groupId, name, seedVersion());
  return (await ledger.getGroup(source, groupId))!;
}

const kiroGroups = () => kiro.emulator().directory.snapshot().groups;

describe("ensureGroup", () => {
  it("creates the group in Kiro under its IdP name and records it as one we created", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const group = await namedGroup(ledger, "00gensure01", "Engineering");

    // Act
    const scimId = await ensureGroup(group, deps(ledger));

    // Assess
    expect(kiroGroups()).toEqual([
      expect.objectContaining({ id: scimId, displayName: "Engineering", externalId: "00gensure01" }),
    ]);
    expect(await ledger.getGroup(source, "00gensure01")).toMatchObject({
      scimId,
      createdByUs: true,
      appliedName: "Engineering",
    });
  });

  it("adopts a Kiro group of the same name that nobody claimed, without creating another or calling it ours", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const existing = kiro.emulator().directory.createGroup({ displayName: "Design" });
    const group = await namedGroup(ledger, "00gensure02", "Design");

    // Act
    const scimId = await ensureGroup(group, deps(ledger));

    // Assess
    expect(scimId).toBe(existing.id);
    expect(kiroGroups()).toEqual([
      expect.objectContaining({ id: existing.id, displayName: "Design", externalId: "00gensure02" }),
    ]);
    expect(await ledger.getGroup(source, "00gensure02")).toMatchObject({
      scimId: existing.id,
      createdByUs: false,
    });
  });

  it("renames the Kiro group with a PATCH that keeps its id", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    const inKiro = kiro.emulator().directory.createGroup({ displayName: "Sales", externalId: "00gensure03" });
    await namedGroup(ledger, "00gensure03", "Sales");
    await ledger.recordGroupApplied(source, "00gensure03", {
      scimId: String(inKiro.id),
      createdByUs: true,
      name: "Sales",
    });
    const renamed = await namedGroup(ledger, "00gensure03", "Sales EMEA");

    // Act
    const scimId = await ensureGroup(renamed, deps(ledger));

    // Assess
    expect(scimId).toBe(inKiro.id);
    expect(kiroGroups()).toEqual([expect.objectContaining({ id: inKiro.id, displayName: "Sales EMEA" })]);
    expect(
      kiro
        .emulator()
        .requests()
        .map((request) => `${request.method} ${request.path}`),
    ).toEqual([`PATCH /Groups/${inKiro.id}`]);
    expect((await ledger.getGroup(source, "00gensure03"))?.appliedName).toBe("Sales EMEA");
  });

  it("answers undefined and records the refusal on the group when Kiro refuses it", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    kiro.emulator().directory.createGroup({ displayName: "Finance", externalId: "someone-else" });
    const group = await namedGroup(ledger, "00gensure04", "Finance");

    // Act
    const scimId = await ensureGroup(group, deps(ledger));

    // Assess
    expect(scimId).toBeUndefined();
    expect(await ledger.getGroup(source, "00gensure04")).toMatchObject({
      status: "failed",
      errorCode: "SCIM.CONFLICT",
      reason: expect.stringContaining("managed elsewhere"),
      scimId: undefined,
    });
    expect(kiroGroups()).toEqual([expect.objectContaining({ externalId: "someone-else" })]);
  });

  it("throws a passing fault for a retry instead of recording it on the group", async () => {
    // Prepare
    const ledger = inMemoryLedger();
    kiro.emulator().addFault({ kind: "server-error", count: 1, method: "POST" });
    const group = await namedGroup(ledger, "00gensure05", "Support");

    // Act
    const outcome = await ensureGroup(group, deps(ledger)).catch((error: unknown) => error);

    // Assess
    expect(outcome).toMatchObject({ code: "SCIM.SERVER_ERROR", retryable: true });
    expect(await ledger.getGroup(source, "00gensure05")).toMatchObject({
      status: "pending",
      scimId: undefined,
    });
  });
});
