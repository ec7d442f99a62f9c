import type { IdentitySource } from "../domain/identity-source";

/**
 * A hook request refused (401, 400, 413, 415) or events in it refused as malformed, as `/status`
 * counts them. The Okta hook writes one only when it writes nothing else (a refused request keeps
 * no delivery), so a request still costs it one write.
 */
export interface HookRejection {
  at: string;
  source: IdentitySource;
  /** `unauthenticated`, `malformed`, `too-large`, `unsupported-media-type`, `method`, `rejected-events`, `bad-client-state`. */
  reason: string;
  /** The answer's HTTP status (a delivery whose events were refused was still answered 2xx). */
  status: number;
  /** Requests, or refused events, this entry stands for. */
  count: number;
}

/** Recent hook rejections; each expires after a day. */
export interface HookRejections {
  recordHookRejection(rejection: HookRejection): Promise<void>;

  /** Rejections recorded at or after `since`, newest first, at most `limit`. */
  listHookRejections(since: string, limit: number): Promise<HookRejection[]>;
}
