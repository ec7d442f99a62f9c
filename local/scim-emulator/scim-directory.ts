import { randomBytes, randomUUID } from "node:crypto";
import { applyUserPatch, readPatchOperations } from "./patch-rules";
import { duplicate, invalid, notFound, unsupported } from "./scim-errors";
import type { EqTerm } from "./scim-filter";
import { enterpriseUrn, normalizeUser, primaryEmail } from "./user-rules";

type Json = Record<string, unknown>;

interface StoredResource {
  seq: number;
  resource: Json;
}

export interface ListPage {
  resources: Json[];
  nextCursor: string | undefined;
}

const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
const maxMemberChanges = 100;

/**
 * Creation order with O(log n) "everything after this cursor", so paging through 100k users costs
 * the same on page 1 and page 1000. Deleted ids stay until a compaction and are skipped on read.
 */
class CreationOrder {
  private entries: StoredResource[] = [];
  private removed = 0;

  append(record: StoredResource): void {
    this.entries.push(record);
  }

  noteRemoval(): void {
    this.removed += 1;
  }

  *after(seq: number, isLive: (record: StoredResource) => boolean): Generator<StoredResource> {
    if (this.removed > 1_000 && this.removed > this.entries.length / 2) {
      this.entries = this.entries.filter(isLive);
      this.removed = 0;
    }
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.entries[mid] as StoredResource).seq <= seq) low = mid + 1;
      else high = mid;
    }
    for (let index = low; index < this.entries.length; index++) {
      const record = this.entries[index] as StoredResource;
      if (isLive(record)) yield record;
    }
  }
}

/**
 * Kiro's user and group store as IAM Identity Center behaves (reference/scim-target.md §1.3):
 * uniqueness, single-valued lists, member changes capped per PATCH, membership readable only
 * through filters. Every lookup is a Map hit so it holds 100k users and 10k groups without slowing.
 */
export class ScimDirectory {
  private readonly idPrefix = randomBytes(5).toString("hex");
  private seq = 0;
  private readonly users = new Map<string, StoredResource>();
  private readonly userByName = new Map<string, string>();
  private readonly userByEmail = new Map<string, string>();
  private readonly userByExternalId = new Map<string, string>();
  private readonly userOrder = new CreationOrder();
  private readonly groups = new Map<string, StoredResource>();
  private readonly groupByName = new Map<string, string>();
  private readonly groupByExternalId = new Map<string, string>();
  private readonly groupOrder = new CreationOrder();
  private readonly members = new Map<string, Set<string>>();
  private readonly memberOf = new Map<string, Set<string>>();

  get userCount(): number {
    return this.users.size;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  createUser(body: Json): Json {
    const user = normalizeUser(body, { allowGroups: false });
    this.assertUserUnique(user, undefined);
    const id = this.newId();
    const now = new Date().toISOString();
    const resource = { id, ...user, meta: { resourceType: "User", created: now, lastModified: now } };
    const record = { seq: ++this.seq, resource };
    this.users.set(id, record);
    this.indexUser(resource, id);
    this.userOrder.append(record);
    this.memberOf.set(id, new Set());
    return resource;
  }

  getUser(id: string): Json {
    return this.requireUser(id).resource;
  }

  replaceUser(id: string, body: Json): Json {
    const record = this.requireUser(id);
    return this.storeUser(record, normalizeUser(body, { allowGroups: false }));
  }

  patchUser(id: string, body: Json): Json {
    const record = this.requireUser(id);
    const operations = readPatchOperations(body);
    const { id: _id, meta: _meta, schemas: _schemas, ...current } = record.resource;
    return this.storeUser(record, normalizeUser(applyUserPatch(current, operations), { allowGroups: false }));
  }

  deleteUser(id: string): void {
    const record = this.requireUser(id);
    this.unindexUser(record.resource);
    this.users.delete(id);
    this.userOrder.noteRemoval();
    for (const groupId of this.memberOf.get(id) ?? []) this.members.get(groupId)?.delete(id);
    this.memberOf.delete(id);
  }

  listUsers(terms: EqTerm[], afterSeq: number, count: number): ListPage {
    const byAttribute = termsByAttribute(terms);
    const keys = [...byAttribute.keys()].sort().join("+");
    let matches: Iterable<StoredResource>;
    if (keys === "")
      matches = this.userOrder.after(afterSeq, (record) => this.users.has(String(record.resource.id)));
    else if (keys === "username")
      matches = this.userRecords(this.userByName.get(byAttribute.get("username")!.toLowerCase()));
    else if (keys === "externalid")
      matches = this.userRecords(this.userByExternalId.get(byAttribute.get("externalid")!));
    else if (keys === "id") matches = this.userRecords(byAttribute.get("id"));
    else if (keys === "id+manager") {
      const manager = byAttribute.get("manager");
      matches = this.userRecords(byAttribute.get("id")).filter(
        (record) =>
          (record.resource[enterpriseUrn] as { manager?: Json } | undefined)?.manager?.value === manager,
      );
    } else if (keys === "groups.value") {
      matches = [...(this.members.get(byAttribute.get("groups.value")!) ?? [])].flatMap((id) =>
        this.userRecords(id),
      );
    } else throw invalid(`Unsupported filter attribute for Users: ${[...byAttribute.keys()].join(" and ")}`);
    return pageOf(matches, afterSeq, count);
  }

  createGroup(body: Json): Json {
    const displayName = body.displayName;
    if (typeof displayName !== "string" || displayName.trim() === "")
      throw invalid("displayName is a required attribute.");
    if (displayName.length > 1024) throw invalid("displayName must have length less than or equal to 1024");
    const externalId = body.externalId;
    if (
      externalId !== undefined &&
      (typeof externalId !== "string" || externalId === "" || externalId.length > 256)
    ) {
      throw invalid("externalId must be a string of 1 to 256 characters.");
    }
    const initialMembers = readMemberValues(body.members ?? [], "members");
    if (initialMembers.length > maxMemberChanges)
      throw invalid(`A group can be created with at most ${maxMemberChanges} members.`);
    for (const userId of initialMembers) this.requireMemberCandidate(userId);
    if (this.groupByName.has(displayName.toLowerCase())) throw duplicate();
    if (externalId !== undefined && this.groupByExternalId.has(externalId as string)) throw duplicate();
    const id = this.newId();
    const now = new Date().toISOString();
    const resource: Json = {
      id,
      schemas: [groupSchema],
      displayName,
      ...(externalId === undefined ? {} : { externalId }),
      meta: { resourceType: "Group", created: now, lastModified: now },
    };
    const record = { seq: ++this.seq, resource };
    this.groups.set(id, record);
    this.groupByName.set(displayName.toLowerCase(), id);
    if (typeof externalId === "string") this.groupByExternalId.set(externalId, id);
    this.groupOrder.append(record);
    this.members.set(id, new Set());
    for (const userId of initialMembers) this.addMember(id, userId);
    return withoutMembers(resource);
  }

  getGroup(id: string): Json {
    return withoutMembers(this.requireGroup(id).resource);
  }

  /**
   * PatchGroup: only displayName, externalId and members; `add`/`remove` on members with a value
   * list, at most 100 member changes per request; `replace` of members and "remove all" are refused.
   */
  patchGroup(id: string, body: Json): void {
    const record = this.requireGroup(id);
    const operations = readPatchOperations(body);
    const changes: { op: "add" | "remove"; userIds: string[] }[] = [];
    const attributes: Json = {};
    let memberChanges = 0;
    for (const operation of operations) {
      const path = operation.path?.toLowerCase();
      if (path === "members") {
        if (operation.op === "replace") throw unsupported("replace on members");
        if (operation.value === undefined) throw invalid("Removing all members of a group is not supported.");
        const userIds = readMemberValues(operation.value, "members");
        memberChanges += userIds.length;
        changes.push({ op: operation.op, userIds });
      } else if (path === "displayname" || path === "externalid") {
        if (operation.op === "remove") throw invalid(`${operation.path} cannot be removed.`);
        attributes[path === "displayname" ? "displayName" : "externalId"] = operation.value;
      } else if (path === undefined && operation.op === "replace") {
        for (const [key, value] of Object.entries((operation.value ?? {}) as Json)) {
          if (key === "members") throw unsupported("replace on members");
          if (key !== "displayName" && key !== "externalId" && key !== "id")
            throw invalid(`Attribute ${key} cannot be modified.`);
          if (key !== "id") attributes[key] = value;
        }
      } else {
        throw invalid(`Unsupported path: ${operation.path ?? "(none)"}`);
      }
    }
    if (memberChanges > maxMemberChanges) {
      throw invalid(
        `Too many member changes: ${memberChanges}. A request can change at most ${maxMemberChanges} members.`,
      );
    }
    for (const change of changes) {
      if (change.op === "add") for (const userId of change.userIds) this.requireMemberCandidate(userId);
    }
    this.updateGroupAttributes(record, attributes);
    for (const change of changes) {
      for (const userId of change.userIds) {
        if (change.op === "add") this.addMember(id, userId);
        else this.removeMember(id, userId);
      }
    }
    (record.resource.meta as Json).lastModified = new Date().toISOString();
  }

  deleteGroup(id: string): void {
    const record = this.requireGroup(id);
    this.groupByName.delete(String(record.resource.displayName).toLowerCase());
    if (typeof record.resource.externalId === "string")
      this.groupByExternalId.delete(record.resource.externalId);
    for (const userId of this.members.get(id) ?? []) this.memberOf.get(userId)?.delete(id);
    this.members.delete(id);
    this.groups.delete(id);
    this.groupOrder.noteRemoval();
  }

  listGroups(terms: EqTerm[], afterSeq: number, count: number): ListPage {
    const byAttribute = termsByAttribute(terms);
    const member = byAttribute.get("members") ?? byAttribute.get("members.value");
    byAttribute.delete("members");
    byAttribute.delete("members.value");
    const keys = [...byAttribute.keys()].sort().join("+");
    let matches: Iterable<StoredResource>;
    if (member !== undefined && terms.length > 2) throw invalid("Unsupported filter for Groups.");
    if (member !== undefined && keys === "") {
      matches = [...(this.memberOf.get(member) ?? [])].flatMap((id) => this.groupRecords(id));
    } else if (member !== undefined && keys === "id") {
      const groupId = byAttribute.get("id")!;
      matches = this.members.get(groupId)?.has(member) ? this.groupRecords(groupId) : [];
    } else if (member !== undefined) {
      throw invalid(`Unsupported filter attribute for Groups: ${keys}`);
    } else if (keys === "") {
      matches = this.groupOrder.after(afterSeq, (record) => this.groups.has(String(record.resource.id)));
    } else if (keys === "displayname") {
      matches = this.groupRecords(this.groupByName.get(byAttribute.get("displayname")!.toLowerCase()));
    } else if (keys === "externalid") {
      matches = this.groupRecords(this.groupByExternalId.get(byAttribute.get("externalid")!));
    } else throw invalid(`Unsupported filter attribute for Groups: ${[...byAttribute.keys()].join(" and ")}`);
    const page = pageOf(matches, afterSeq, count);
    return { ...page, resources: page.resources.map(withoutMembers) };
  }

  /** Everything, members included: for tests and demos only (the SCIM API never shows members). */
  snapshot(): { users: Json[]; groups: (Json & { members: string[] })[] } {
    return {
      users: [...this.users.values()].map((record) => record.resource),
      groups: [...this.groups.values()].map((record) => ({
        ...withoutMembers(record.resource),
        members: [...(this.members.get(String(record.resource.id)) ?? [])],
      })),
    };
  }

  membersOf(groupId: string): string[] {
    return [...(this.members.get(groupId) ?? [])];
  }

  private storeUser(record: StoredResource, user: Json): Json {
    const id = String(record.resource.id);
    this.assertUserUnique(user, id);
    this.unindexUser(record.resource);
    const meta = { ...(record.resource.meta as Json), lastModified: new Date().toISOString() };
    record.resource = { id, ...user, meta };
    this.indexUser(record.resource, id);
    return record.resource;
  }

  private assertUserUnique(user: Json, selfId: string | undefined): void {
    const taken = (index: Map<string, string>, key: string | undefined) => {
      const owner = key === undefined ? undefined : index.get(key);
      return owner !== undefined && owner !== selfId;
    };
    if (
      taken(this.userByName, String(user.userName).toLowerCase()) ||
      taken(this.userByEmail, primaryEmail(user)?.toLowerCase()) ||
      taken(this.userByExternalId, user.externalId as string | undefined)
    ) {
      throw duplicate();
    }
  }

  private indexUser(user: Json, id: string): void {
    this.userByName.set(String(user.userName).toLowerCase(), id);
    const email = primaryEmail(user);
    if (email) this.userByEmail.set(email.toLowerCase(), id);
    if (typeof user.externalId === "string") this.userByExternalId.set(user.externalId, id);
  }

  private unindexUser(user: Json): void {
    this.userByName.delete(String(user.userName).toLowerCase());
    const email = primaryEmail(user);
    if (email) this.userByEmail.delete(email.toLowerCase());
    if (typeof user.externalId === "string") this.userByExternalId.delete(user.externalId);
  }

  private updateGroupAttributes(record: StoredResource, attributes: Json): void {
    const id = String(record.resource.id);
    const { displayName, externalId } = attributes;
    if (displayName !== undefined) {
      if (typeof displayName !== "string" || displayName.trim() === "" || displayName.length > 1024) {
        throw invalid("displayName must be a string of 1 to 1024 characters.");
      }
      const owner = this.groupByName.get(displayName.toLowerCase());
      if (owner !== undefined && owner !== id) throw duplicate();
    }
    if (externalId !== undefined) {
      if (typeof externalId !== "string" || externalId === "" || externalId.length > 256) {
        throw invalid("externalId must be a string of 1 to 256 characters.");
      }
      const owner = this.groupByExternalId.get(externalId);
      if (owner !== undefined && owner !== id) throw duplicate();
    }
    if (typeof displayName === "string") {
      this.groupByName.delete(String(record.resource.displayName).toLowerCase());
      this.groupByName.set(displayName.toLowerCase(), id);
      record.resource.displayName = displayName;
    }
    if (typeof externalId === "string") {
      if (typeof record.resource.externalId === "string")
        this.groupByExternalId.delete(record.resource.externalId);
      this.groupByExternalId.set(externalId, id);
      record.resource.externalId = externalId;
    }
  }

  private requireMemberCandidate(userId: string): void {
    if (!this.users.has(userId)) throw invalid(`Member ${userId} is not a user of this identity store.`);
  }

  private addMember(groupId: string, userId: string): void {
    this.members.get(groupId)?.add(userId);
    this.memberOf.get(userId)?.add(groupId);
  }

  private removeMember(groupId: string, userId: string): void {
    this.members.get(groupId)?.delete(userId);
    this.memberOf.get(userId)?.delete(groupId);
  }

  private requireUser(id: string): StoredResource {
    const record = this.users.get(id);
    if (!record) throw notFound(`User ${id} not found.`);
    return record;
  }

  private requireGroup(id: string): StoredResource {
    const record = this.groups.get(id);
    if (!record) throw notFound(`Group ${id} not found.`);
    return record;
  }

  private userRecords(id: string | undefined): StoredResource[] {
    const record = id === undefined ? undefined : this.users.get(id);
    return record ? [record] : [];
  }

  private groupRecords(id: string | undefined): StoredResource[] {
    const record = id === undefined ? undefined : this.groups.get(id);
    return record ? [record] : [];
  }

  private newId(): string {
    return `${this.idPrefix}-${randomUUID()}`;
  }
}

function termsByAttribute(terms: EqTerm[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const term of terms) {
    const key = term.attribute.toLowerCase();
    if (map.has(key)) throw invalid(`Filter names ${term.attribute} twice.`);
    map.set(key, term.value);
  }
  return map;
}

function readMemberValues(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be a list of {"value": "<user id>"}.`);
  return value.map((item: unknown) => {
    const memberId = (item as Json | null)?.value;
    if (typeof memberId !== "string" || memberId === "")
      throw invalid(`${field} must be a list of {"value": "<user id>"}.`);
    return memberId;
  });
}

function withoutMembers(resource: Json): Json {
  const { members: _members, ...rest } = resource;
  return rest;
}

function pageOf(matches: Iterable<StoredResource>, afterSeq: number, count: number): ListPage {
  const resources: Json[] = [];
  let last: StoredResource | undefined;
  let more = false;
  const ordered = Array.isArray(matches) ? [...matches].sort((a, b) => a.seq - b.seq) : matches;
  for (const record of ordered) {
    if (record.seq <= afterSeq) continue;
    if (resources.length === count) {
      more = true;
      break;
    }
    resources.push(record.resource);
    last = record;
  }
  return { resources, nextCursor: more && last ? encodeCursor(last.seq) : undefined };
}

/** Cursors are opaque to clients and match IdC's pattern `[-a-zA-Z0-9+=/:_]*`. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`kiro:${seq}`).toString("base64");
}

export function decodeCursor(cursor: string): number {
  if (cursor === "") return 0;
  const match = /^kiro:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
  if (!match || !/^[-a-zA-Z0-9+=/:_]*$/.test(cursor)) throw invalid("The cursor is not valid.");
  return Number(match[1]);
}
