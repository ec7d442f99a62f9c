import { describe, expect, it } from "vitest";
import { GroupScope } from "../../core/domain/group-scope";
import type { HookRejection } from "../../core/ports/hook-rejections";
import type { Ledger } from "../../core/ports/ledger";
import type { HookRequest } from "../../core/use-cases/hook-request";
import { receiveOktaDelivery } from "../../core/use-cases/receive-okta-delivery";

/**
 * Any call but counting the rejection fails the test: a refused request keeps nothing in the
 * ledger and publishes nothing; its one write is the count `/status` reads.
 */
const rejections: HookRejection[] = [];
const untouchable = new Proxy({} as Ledger, {
  get: (_target, property) =>
    property === "recordHookRejection"
      ? async (rejection: HookRejection) => void rejections.push(rejection)
      : () => {
          throw new Error(`ledger.${String(property)} was called`);
        },
});
const deps = {
  ledger: untouchable,
  bus: { publish: async () => expect.fail("bus.publish was called") },
  scope: new GroupScope(undefined),
  hookSecret: "Basic c2VjcmV0",
  maxBodyBytes: 2_000,
};
const post = (overrides: Partial<HookRequest> = {}): HookRequest => ({
  method: "POST",
  headers: { authorization: "Basic c2VjcmV0", "content-type": "application/json" },
  body: '{"data":{"events":[]}}',
  ...overrides,
});

describe("receiveOktaDelivery refusals", () => {
  it.each([
    [
      "a wrong secret",
      post({ headers: { authorization: "Basic bm9wZQ==", "content-type": "application/json" } }),
      401,
    ],
    ["no secret", post({ headers: { "content-type": "application/json" } }), 401],
    ["an oversize body", post({ body: `{"pad":"${"x".repeat(3_000)}"}` }), 413],
    [
      "a non-JSON content type",
      post({ headers: { authorization: "Basic c2VjcmV0", "content-type": "text/plain" } }),
      415,
    ],
    ["a body that is not JSON", post({ body: "{" }), 400],
    ["a body that is not a delivery", post({ body: '{"data":{}}' }), 400],
    ["a PUT", post({ method: "PUT" }), 405],
    ["a GET without a challenge", post({ method: "GET" }), 400],
  ])(
    "refuses %s, keeping nothing but, when it proved the secret, the count of the rejection",
    async (_case, request, status) => {
      // Prepare
      rejections.length = 0;

      // Act
      const answer = await receiveOktaDelivery(request, deps);

      // Assess
      expect(answer.status).toBe(status);
      expect(answer.rejection).toBeDefined();
      const proved = request.method === "POST" && status !== 401;
      expect(rejections).toEqual(
        proved
          ? [{ at: expect.any(String), source: "okta", reason: answer.rejection, status, count: 1 }]
          : [],
      );
    },
  );

  it("checks the secret before the size, so an unauthenticated caller learns nothing", async () => {
    // Act
    const answer = await receiveOktaDelivery(post({ headers: {}, body: "x".repeat(5_000) }), deps);

    // Assess
    expect(answer.status).toBe(401);
  });
});
