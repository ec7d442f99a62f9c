import { invalid, unsupported } from "./scim-errors";
import { enterpriseUrn, patchableUserAttributes } from "./user-rules";

type Json = Record<string, unknown>;

export interface PatchOperation {
  op: "add" | "replace" | "remove";
  path: string | undefined;
  value: unknown;
}

/** Validates the PatchOp envelope shared by PatchUser and PatchGroup. */
export function readPatchOperations(body: unknown): PatchOperation[] {
  const operations = (body as Json | null)?.Operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw invalid("Request is unparsable, syntactically incorrect, or violates schema.");
  }
  return operations.map((raw: unknown) => {
    const operation = raw as Json;
    const op = typeof operation?.op === "string" ? operation.op.toLowerCase() : undefined;
    if (op !== "add" && op !== "replace" && op !== "remove")
      throw invalid("op must be one of add, replace, remove.");
    const path = operation.path;
    if (path !== undefined && typeof path !== "string") throw invalid("path must be a string.");
    if (op === "remove" && !path) throw invalid("path is required for remove operations.");
    if (op !== "remove" && operation.value === undefined)
      throw invalid(`value is required for ${op} operations.`);
    return { op, path, value: operation.value };
  });
}

const pathPattern = /^(?:(urn:[^\s[]+:User):)?([A-Za-z]\w*)(?:\[([^\]]*)\])?(?:\.([A-Za-z]\w*))?$/;

/**
 * Applies PatchUser operations to a copy of the stored user (DG patchuser): the allowed attributes
 * only, no remove of userName or active, at most one operation on each of them, and the no-path
 * `replace` with a value object that Okta and Entra send.
 */
export function applyUserPatch(current: Json, operations: PatchOperation[]): Json {
  const next = structuredClone(current);
  const touches = { userName: 0, active: 0 };
  for (const operation of operations) {
    if (operation.path === undefined) {
      if (typeof operation.value !== "object" || operation.value === null || Array.isArray(operation.value)) {
        throw invalid("value must be an object when path is absent.");
      }
      for (const [key, value] of Object.entries(operation.value as Json)) {
        setUserAttribute(next, operation.op, key, undefined, undefined, value, touches);
      }
      continue;
    }
    const match = pathPattern.exec(operation.path);
    if (!match) throw invalid(`Unsupported path: ${operation.path}`);
    const [, urn, attribute, valueFilter, subAttribute] = match as unknown as [
      string,
      string | undefined,
      string,
      string | undefined,
      string | undefined,
    ];
    if (urn !== undefined && urn !== enterpriseUrn) throw invalid(`Unsupported path: ${operation.path}`);
    if (urn === enterpriseUrn) {
      const enterprise = ((next[enterpriseUrn] as Json | undefined) ?? {}) as Json;
      if (operation.op === "remove") delete enterprise[attribute];
      else enterprise[attribute] = subAttribute ? { [subAttribute]: operation.value } : operation.value;
      next[enterpriseUrn] = enterprise;
      continue;
    }
    setUserAttribute(next, operation.op, attribute, valueFilter, subAttribute, operation.value, touches);
  }
  return next;
}

function setUserAttribute(
  user: Json,
  op: PatchOperation["op"],
  attribute: string,
  valueFilter: string | undefined,
  subAttribute: string | undefined,
  value: unknown,
  touches: { userName: number; active: number },
): void {
  if (!patchableUserAttributes.has(attribute)) throw invalid(`Attribute ${attribute} cannot be modified.`);
  if (attribute === "userName" || attribute === "active") {
    if (op === "remove") throw invalid(`${attribute} cannot be removed.`);
    touches[attribute] += 1;
    if (touches[attribute] > 1) throw invalid(`Only one operation on ${attribute} is allowed per request.`);
  }
  if (attribute === "emails" || attribute === "addresses" || attribute === "phoneNumbers") {
    setListAttribute(user, op, attribute, valueFilter, subAttribute, value);
    return;
  }
  if (valueFilter !== undefined) throw unsupported(`filter on ${attribute}`);
  if (op === "remove") {
    if (subAttribute) delete (user[attribute] as Json | undefined)?.[subAttribute];
    else delete user[attribute];
    return;
  }
  if (subAttribute) {
    user[attribute] = { ...((user[attribute] as Json | undefined) ?? {}), [subAttribute]: value };
  } else if (attribute === "name" && typeof value === "object" && value !== null) {
    user.name = { ...((user.name as Json | undefined) ?? {}), ...(value as Json) };
  } else {
    user[attribute] = value;
  }
}

/** Kiro keeps one value per list, so `emails[type eq "work"].value` addresses that single item. */
function setListAttribute(
  user: Json,
  op: PatchOperation["op"],
  attribute: string,
  valueFilter: string | undefined,
  subAttribute: string | undefined,
  value: unknown,
): void {
  if (op === "remove") {
    delete user[attribute];
    return;
  }
  if (valueFilter === undefined && subAttribute === undefined) {
    user[attribute] = value;
    return;
  }
  const existing = ((user[attribute] as Json[] | undefined)?.[0] ?? {}) as Json;
  const typeMatch = valueFilter ? /^type\s+eq\s+"([^"]*)"$/i.exec(valueFilter.trim()) : null;
  if (valueFilter && !typeMatch) throw invalid(`Unsupported filter: ${valueFilter}`);
  const item: Json = { ...existing, ...(typeMatch ? { type: typeMatch[1] } : {}) };
  if (subAttribute) item[subAttribute] = value;
  if (attribute === "emails" && item.primary === undefined) item.primary = true;
  user[attribute] = [item];
}
