/**
 * Everything HTTP a composition root needs in one call: the route table (REST API, operations,
 * dashboard), the OpenAPI document built from it, API keys and dashboard sessions, and the fetch
 * handler over them.
 *
 * @example
 * const fetch = httpApp({ functions, tasks, health, metrics, version, keys: [], clock, logger, maxBodyBytes });
 * startHttpServer({ port: 8000, host: "127.0.0.1", maxBodyBytes, fetch });
 */
import type { FunctionService } from "../../domain/function-service.ts";
import type { OperationsService } from "../../domain/operations-service.ts";
import type { Clock, Logger } from "../../domain/ports.ts";
import type { TaskService } from "../../domain/task-service.ts";
import { apiRoutes } from "./api-routes.ts";
import { ApiKeys, Authenticator, type ApiKeyEntry } from "./auth.ts";
import { dashboardRoutes, DEFAULT_SESSION_TTL_MS } from "./dashboard/routes.ts";
import { docsRoutes } from "./docs-routes.ts";
import { Sessions } from "./dashboard/sessions.ts";
import { SignInLimit } from "./dashboard/sign-in-limit.ts";
import { FormTokens } from "./dashboard/form-tokens.ts";
import { EdgeGuard, type EdgeOptions } from "./edge.ts";
import { createHandler, type FetchHandler } from "./handler.ts";
import { openApiDocument } from "./openapi.ts";
import { operationsRoutes } from "./operations-routes.ts";
import { opsRoutes } from "./ops-routes.ts";
import type { MetricsReport } from "./prometheus.ts";
import type { Route } from "./route.ts";
import { scheduleRoutes } from "./schedule-routes.ts";
import type { ScheduleService } from "../../domain/schedule-service.ts";

export interface HttpAppDeps {
  readonly functions: FunctionService;
  readonly tasks: TaskService;
  /** Recurring schedules: without it, the /schedules routes do not exist. */
  readonly schedules?: ScheduleService;
  /** Listing, inspecting and re-running tasks; workers; the dashboard's figures. */
  readonly operations: OperationsService;
  readonly health: () => Promise<{ queued: number }>;
  /** What /metrics shows a viewer: its tenant's tasks and functions, or everyone's for admin. */
  readonly metrics: (viewer: string) => Promise<MetricsReport>;
  readonly version: string;
  /** Accepted API keys; none: the API is open. */
  readonly keys: readonly ApiKeyEntry[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly sessionTtlMs?: number;
  /** Bytes of results one POST /wait reply carries at most. */
  readonly waitReplyBytes?: number;
  /** Host and Origin checks (edge.ts); with `trustProxy`, X-Forwarded-Proto and -For are believed. */
  readonly edge?: EdgeOptions;
}

export function httpApp(d: HttpAppDeps): FetchHandler {
  const keys = new ApiKeys(d.keys);
  const sessionTtlMs = d.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessions = new Sessions({ ttlMs: sessionTtlMs, clock: d.clock });
  let document = "";
  const all: Route[] = [
    ...apiRoutes(d),
    ...(d.schedules === undefined ? [] : scheduleRoutes({ schedules: d.schedules })),
    ...operationsRoutes(d),
    ...opsRoutes({ health: d.health, metrics: d.metrics, document: () => document }),
    ...docsRoutes(),
    ...dashboardRoutes({ functions: d.functions, tasks: d.tasks, operations: d.operations, metrics: d.metrics, version: d.version, keys, sessions, sessionTtlMs, signInLimit: new SignInLimit({ clock: d.clock }), tokens: new FormTokens(d.keys.map((k) => k.key)) }),
  ];
  // Routes that only make sense with API keys (the sign-in form) do not exist without them.
  const routes = all.filter((r) => !r.onlyWithKeys || keys.size > 0);
  document = JSON.stringify(openApiDocument(routes, d.version));
  const edge = d.edge === undefined ? undefined : new EdgeGuard(d.edge);
  return createHandler(routes, {
    maxBodyBytes: d.maxBodyBytes,
    auth: new Authenticator({ keys, sessions }),
    logger: d.logger,
    ...(edge !== undefined && { edge }),
    ...(d.edge?.trustProxy === true && { trustProxy: true }),
  });
}
