import { randomUUID } from "node:crypto";

const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";

/** The AWS exception names that go with each status (reference/scim-target.md §1.1, "Error codes"). */
const exceptionByStatus: Record<number, string> = {
  400: "ValidationException",
  401: "UnauthorizedException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  409: "ConflictException",
  429: "ThrottlingException",
  500: "InternalServerException",
};

/** A SCIM failure the emulator answers with, in IAM Identity Center's envelope. */
export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = exceptionByStatus[status] ?? "ScimHttpError";
  }
}

export const invalid = (detail: string) => new ScimHttpError(400, detail);
export const notFound = (detail = "Resource not found.") => new ScimHttpError(404, detail);
export const duplicate = () => new ScimHttpError(409, "Refused to create a new, duplicate resource.");
export const unsupported = (what: string) => new ScimHttpError(400, `Unsupported operation: ${what}`);

/**
 * IdC's real error body: a non-standard `schema` key next to `schemas`, `status` as a string, an
 * `exceptionRequestId`, and no `scimType` (isync fixtures CreateUserResponse_Conflict.json).
 */
export function errorEnvelope(
  error: ScimHttpError,
  requestId: string = randomUUID(),
): Record<string, unknown> {
  return {
    schema: [errorSchema],
    schemas: [errorSchema],
    detail: error.detail,
    status: String(error.status),
    exceptionRequestId: requestId,
    timeStamp: new Date().toISOString().replace("T", " ").replace("Z", ""),
  };
}
