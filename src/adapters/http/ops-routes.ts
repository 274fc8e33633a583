/**
 * The operational routes: GET /healthz (open: for load balancers and supervisors), GET /metrics
 * (Prometheus text; a key, ?key= or a dashboard session) and GET /openapi.json (open; the document
 * is generated from the whole route table, this route included).
 *
 * /healthz answers 503 when the backend cannot be reached or did not answer (a backend error), and a
 * bug in gathering the facts is a 500 like any other.
 *
 * @example
 * const routes = [...apiRoutes(d), ...opsRoutes({ health, metrics, document: () => doc })];
 */
import { BackendTimeoutError, BackendUnavailableError } from "../../domain/errors.ts";
import { failure, reply } from "./api-routes.ts";
import { PROMETHEUS_CONTENT_TYPE, renderMetrics, type MetricsReport } from "./prometheus.ts";
import { errorReply, json } from "./replies.ts";
import { route, type Route } from "./route.ts";
import * as S from "./schemas.ts";

export interface OpsRouteDeps {
  /** Facts /healthz adds to `status: "ok"`; throws a backend error when the backend is down. */
  readonly health: () => Promise<{ queued: number }>;
  /** What /metrics shows a viewer: its tenant's tasks and functions, or everyone's for admin. */
  readonly metrics: (viewer: string) => Promise<MetricsReport>;
  /** The OpenAPI document as JSON text (built once from the full table). */
  readonly document: () => string;
}

export function opsRoutes(d: OpsRouteDeps): Route[] {
  return [
    route({
      method: "GET",
      path: "/healthz",
      access: "open",
      operationId: "health",
      tag: "operations",
      summary: "Liveness and backend reachability",
      responses: { 200: reply("OK", S.Health), 503: failure("Backend unavailable") },
      handle: async () => {
        try {
          return json({ status: "ok", ...(await d.health()) });
        } catch (e) {
          if (e instanceof BackendUnavailableError || e instanceof BackendTimeoutError) return errorReply(503, "BackendUnavailable", `Backend unavailable: ${e.message}`);
          throw e;
        }
      },
    }),
    route({
      method: "GET",
      path: "/metrics",
      access: "browser",
      operationId: "metrics",
      tag: "operations",
      summary: "Prometheus metrics (text format 0.0.4): task counters of the whole deployment, queue depth, duration histogram, process facts",
      responses: { 200: { description: "Prometheus text exposition", contentType: "text/plain; version=0.0.4", schema: S.Text } },
      handle: async ({ caller }) => new Response(renderMetrics(await d.metrics(caller.tenant)), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } }),
    }),
    route({
      method: "GET",
      path: "/openapi.json",
      access: "open",
      operationId: "openapi",
      tag: "operations",
      summary: "This document",
      responses: { 200: { description: "OpenAPI 3.1" } },
      handle: async () => new Response(d.document(), { headers: { "content-type": "application/json" } }),
    }),
  ];
}
