/**
 * The routes of recurring schedules over ScheduleService: create (cron in UTC, or every_ms), list,
 * read, pause, resume, delete. Another tenant's schedules are 404, as missing ones; a bad field is a
 * 400 naming it (`cron`, `every_ms`, `payload`, `priority`, `timeout_ms`).
 *
 * @example
 * const routes = scheduleRoutes({ schedules });
 */
import type { Schedule } from "../../domain/schedule.ts";
import { tickTaskId } from "../../domain/schedule.ts";
import type { ScheduleService } from "../../domain/schedule-service.ts";
import { failure, reply } from "./api-routes.ts";
import { domainErrorReply, json } from "./replies.ts";
import { route, type Route } from "./route.ts";
import * as S from "./schemas.ts";

export interface ScheduleRouteDeps {
  readonly schedules: ScheduleService;
}

const unknown = failure("Unknown schedule (or another tenant's)");

export function scheduleRoutes(d: ScheduleRouteDeps): Route[] {
  const one = (method: "GET" | "POST", path: string, operationId: string, summary: string, use: (viewer: string, id: string) => ReturnType<ScheduleService["get"]>): Route =>
    route({
      method,
      path,
      access: "key",
      operationId,
      tag: "schedules",
      summary,
      responses: { 200: reply("The schedule", S.ScheduleInfo), 404: unknown },
      handle: async ({ params, caller }) => {
        const s = await use(caller.tenant, params.schedule_id as string);
        return s.ok ? json(scheduleBody(s.value)) : domainErrorReply(s.error);
      },
    });
  return [
    route({
      method: "POST",
      path: "/schedules",
      access: "key",
      operationId: "createSchedule",
      tag: "schedules",
      summary: "Call a function on a cron expression (UTC) or every N ms: one task per tick, whatever the number of dispatchers",
      body: S.ScheduleBody,
      responses: { 201: reply("Created", S.ScheduleCreated), 400: failure("Malformed or invalid request: the message names the field"), 404: failure("Unknown function"), 413: failure("Body over --max-body") },
      handle: async ({ body, caller }) => {
        const s = await d.schedules.create(caller.tenant, {
          functionId: body.function_id,
          args: body.payload,
          ...(body.cron !== undefined && { cron: body.cron }),
          ...(body.every_ms !== undefined && { everyMs: body.every_ms }),
          ...(body.priority !== undefined && { priority: body.priority }),
          ...(body.timeout_ms !== undefined && { timeoutMs: body.timeout_ms }),
        });
        return s.ok ? json({ schedule_id: s.value.id, next_run_at: iso(s.value.nextAt) }, 201) : domainErrorReply(s.error);
      },
    }),
    route({
      method: "GET",
      path: "/schedules",
      access: "key",
      operationId: "listSchedules",
      tag: "schedules",
      summary: "Your schedules, oldest first",
      responses: { 200: reply("List", S.ScheduleList) },
      handle: async ({ caller }) => json({ schedules: (await d.schedules.list(caller.tenant)).map(scheduleBody) }),
    }),
    one("GET", "/schedules/{schedule_id}", "getSchedule", "One schedule", (viewer, id) => d.schedules.get(viewer, id)),
    one("POST", "/schedules/{schedule_id}/pause", "pauseSchedule", "Stop firing (ticks that fall while paused are skipped)", (viewer, id) => d.schedules.pause(viewer, id)),
    one("POST", "/schedules/{schedule_id}/resume", "resumeSchedule", "Fire again from the next tick", (viewer, id) => d.schedules.resume(viewer, id)),
    route({
      method: "DELETE",
      path: "/schedules/{schedule_id}",
      access: "key",
      operationId: "deleteSchedule",
      tag: "schedules",
      summary: "Delete a schedule (its tasks stay)",
      responses: { 200: reply("Deleted", S.ScheduleDeleted), 404: unknown },
      handle: async ({ params, caller }) => {
        const id = params.schedule_id as string;
        const done = await d.schedules.delete(caller.tenant, id);
        return done.ok ? json({ schedule_id: id, deleted: true }) : domainErrorReply(done.error);
      },
    }),
  ];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A schedule as the REST contract shows it. */
function scheduleBody(s: Schedule): object {
  return {
    schedule_id: s.id,
    function_id: s.functionId,
    ...(s.cron !== undefined && { cron: s.cron }),
    ...(s.everyMs !== undefined && { every_ms: s.everyMs }),
    payload: s.args,
    ...(s.priority !== undefined && { priority: s.priority }),
    ...(s.timeoutMs !== undefined && { timeout_ms: s.timeoutMs }),
    paused: s.paused,
    next_run_at: s.paused ? null : iso(s.nextAt),
    created: iso(s.createdAt),
    ...(s.lastFiredAt !== undefined && { last_run_at: iso(s.lastFiredAt), last_task_id: tickTaskId(s.id, s.lastFiredAt) }),
  };
}
