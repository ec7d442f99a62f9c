import { ScimError } from "../../domain/errors";
import type { GroupRecords } from "../../ports/group-records";
import type { GroupSyncState } from "../../ports/group-sync-state";
import type { KiroScimPort } from "../../ports/kiro-scim";
import type { GroupRecord } from "../../ports/ledger-records";
import { createOrAdoptGroup } from "../adopt-or-create";
import type { NotedAction, ProvisioningActivity } from "../provisioning-activity";
import { itemFailure } from "./item-failure";

export interface GroupEnsureDependencies {
  ledger: GroupRecords & GroupSyncState;
  scim: KiroScimPort;
  activity?: ProvisioningActivity | undefined;
}

/**
 * Step 3 of a group pass: creates or adopts the Kiro group, or renames it with a PATCH; never
 * deletes and recreates. Undefined when Kiro refused the group (recorded on it): the pass stops.
 */
export async function ensureGroup(
  group: GroupRecord,
  deps: GroupEnsureDependencies,
): Promise<string | undefined> {
  const name = group.name ?? group.idpId;
  const started = Date.now();
  const note = (action: Pick<NotedAction, "action" | "result"> & Partial<NotedAction>) =>
    deps.activity?.note({
      source: group.source,
      kind: "GROUP",
      objectId: group.idpId,
      name,
      kiroId: group.scimId,
      durationMs: Date.now() - started,
      ...action,
    });
  try {
    if (group.scimId && (group.deleted || group.appliedName === name)) return group.scimId;
    if (group.scimId) {
      const renamed = await deps.scim.updateGroup(group.scimId, { displayName: name }).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ScimError && error.kind === "not-found") return false;
          throw error;
        },
      );
      if (renamed) {
        await deps.ledger.recordGroupApplied(group.source, group.idpId, { scimId: group.scimId, name });
        note({
          action: "rename",
          result: "success",
          changes: [{ attribute: "displayName", from: group.appliedName, to: name }],
        });
        return group.scimId;
      }
    }
    if (group.deleted) return "";
    const ensured = await createOrAdoptGroup(deps.scim, { displayName: name, externalId: group.idpId });
    await deps.ledger.recordGroupApplied(group.source, group.idpId, {
      scimId: ensured.resource.id,
      createdByUs: ensured.outcome === "created",
      name,
    });
    note({
      action: ensured.outcome === "created" ? "create" : "adopt",
      result: "success",
      kiroId: ensured.resource.id,
    });
    return ensured.resource.id;
  } catch (error) {
    const failure = itemFailure(error);
    if (!failure) throw error;
    await deps.ledger.recordGroupFailed(group.source, group.idpId, failure);
    note({ action: "failure", result: "failure", errorCode: failure.errorCode, message: failure.reason });
    return undefined;
  }
}
