/**
 * Every HTTP route the service serves, and the function file behind it. API Gateway's routes
 * (stacks/api.ts) and the local server's (local/local-runtime.ts) are both made from this table,
 * so a route the code serves cannot be missing from a deployment.
 */
export const httpRoutes = {
  "GET /okta/events": "okta-events",
  "POST /okta/events": "okta-events",
  "POST /entra/notifications": "entra-notify",
  "POST /entra/lifecycle": "entra-lifecycle",
  "GET /status": "status",
  "GET /health": "status",
  "GET /log": "status",
  "GET /users/{id}": "status",
  "GET /groups/{id}": "status",
  "POST /admin/reconcile": "admin",
  "POST /admin/reprovision": "admin",
  "POST /admin/approve/{runId}": "admin",
  "POST /admin/redrive": "admin",
  "POST /admin/doctor": "admin",
  "POST /admin/provision": "admin",
} as const;

export type HttpRoute = keyof typeof httpRoutes;
export type HttpFunction = (typeof httpRoutes)[HttpRoute];
