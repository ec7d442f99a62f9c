import { SyncError } from "../../domain/errors";
import type { GraphCredentials } from "../../ports/identity-directory";
import { createGraphClient } from "./graph-directory";

/**
 * The preflight's one Graph read, `GET /groups?$top=1&$select=id`. Kept apart from GraphDirectory,
 * whose errors fold 401 and 403 into one code: here a 403 (the app lacks Group.Read.All or admin
 * consent) must be told apart from refused credentials, because the fixes differ.
 */
export async function probeGraphGroupRead(credentials: GraphCredentials): Promise<void> {
  try {
    await createGraphClient(credentials).api("/groups").select("id").top(1).get();
  } catch (error) {
    throw probeError(error);
  }
}

function probeError(error: unknown): SyncError {
  const carried = (error as { customError?: unknown }).customError;
  if (carried instanceof SyncError) return carried;
  if (error instanceof SyncError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  const message = (error as Error).message ?? String(error);
  if (status === 403)
    return new SyncError("IDP.FORBIDDEN", `Graph refused the group read (403): ${message}`, {
      retryable: false,
      cause: error,
    });
  if (status === 401)
    return new SyncError("IDP.AUTH", `Graph refused the access token (401): ${message}`, {
      retryable: false,
      cause: error,
    });
  if (status === 429)
    return new SyncError("IDP.THROTTLED", `Graph throttled us: ${message}`, {
      retryable: true,
      cause: error,
    });
  return new SyncError("IDP.UNAVAILABLE", `Graph read failed (${status ?? "network"}): ${message}`, {
    retryable: true,
    cause: error,
  });
}
