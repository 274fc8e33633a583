/**
 * Checks a live reply against the OpenAPI document: its status is documented for the route, and its
 * JSON body matches the schema documented for that status (named schemas looked up in schemas.ts).
 *
 * @example
 * const doc = (await call(`${url}/openapi.json`)).body as OpenApiDoc;
 * conforms(doc, "/schedules", "post", await call(`${url}/schedules`, body, auth));
 */
import { expect } from "bun:test";
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import * as S from "../../src/adapters/http/schemas.ts";

export type OpenApiDoc = {
  paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: Record<string, any> }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, any> };
};

function schemaOf(doc: OpenApiDoc, response: any): TSchema | undefined {
  const r = response.$ref !== undefined ? doc.components.responses[String(response.$ref).split("/").pop() as string] : response;
  const schema = r?.content?.["application/json"]?.schema;
  if (schema === undefined) return undefined;
  const name = schema.$ref === undefined ? undefined : String(schema.$ref).split("/").pop();
  return name === undefined ? schema : ((S as Record<string, unknown>)[name] as TSchema);
}

export function conforms(doc: OpenApiDoc, path: string, method: string, reply: { status: number; body: unknown }): void {
  const op = doc.paths[path]?.[method];
  expect([path, method, op === undefined ? "undocumented route" : "ok"]).toEqual([path, method, "ok"]);
  const response = op!.responses[String(reply.status)];
  expect([path, method, reply.status, response === undefined ? "undocumented status" : "ok"]).toEqual([path, method, reply.status, "ok"]);
  const schema = schemaOf(doc, response);
  if (schema === undefined || typeof reply.body !== "object") return;
  const errors = [...TypeCompiler.Compile(schema).Errors(reply.body)].map((e) => `${e.path} ${e.message}`);
  expect([path, method, reply.status, errors]).toEqual([path, method, reply.status, []]);
}
