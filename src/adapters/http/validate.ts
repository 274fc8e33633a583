/**
 * Request-body validation with compiled TypeBox schemas. The first problem becomes a 400 that names
 * the field, what was expected, and what came (fields are the JSON names of the REST contract).
 */
import type { TSchema, Static } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { kindOf } from "../../domain/args.ts";
import { err, ok, type Result } from "../../domain/result.ts";

/** A shape problem: the message and the field it is about. */
export interface BodyProblem {
  readonly message: string;
  readonly field?: string;
}

export interface BodyValidator<T extends TSchema> {
  (body: unknown): Result<Static<T>, BodyProblem>;
}

/** Compiles a schema once; the returned function checks a parsed body against it. */
export function validator<T extends TSchema>(schema: T): BodyValidator<T> {
  const check: TypeCheck<T> = TypeCompiler.Compile(schema);
  const required = (schema as { required?: string[] }).required ?? [];
  const known = new Set(Object.keys((schema as { properties?: object }).properties ?? {}));
  return (body) => {
    if (check.Check(body)) return ok(body);
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return err({ message: `Request body must be a JSON object, got ${kindOf(body)}` });
    }
    for (const key of Object.keys(body)) {
      if (!known.has(key)) return err({ message: `Unknown field "${key}"; expected only ${[...known].join(", ")}`, field: key });
    }
    for (const key of required) {
      if (!(key in body)) return err({ message: `Missing required field "${key}"`, field: key });
    }
    const first = check.Errors(body).First();
    if (first === undefined) return err({ message: "Request body does not match the schema" });
    const field = first.path.replace(/^\//, "");
    return err({ message: `${field}: ${first.message}, got ${describeValue(first.value)}`, field });
  };
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return v.length > 40 ? `a string of length ${v.length}` : `"${v}"`;
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return `an array of ${v.length} items`;
  return kindOf(v);
}
