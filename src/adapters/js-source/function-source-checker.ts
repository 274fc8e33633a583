/**
 * Checks that a function payload is exactly one function expression, by parsing and without running
 * any of it. TypeScript annotations are stripped first with Bun's transpiler; the transpiled program must
 * then be exactly `const __fn = <function expression>;`. Anything else (a statement, a call, an
 * expression that is not a function, code smuggled after a closing parenthesis) is rejected with a
 * message saying what came.
 */
import { parse, type Node } from "acorn";
import type { SourceChecker } from "../../domain/ports.ts";
import { err, ok, type Result } from "../../domain/result.ts";
import type { DomainError } from "../../domain/errors.ts";

const FUNCTION_NODES = new Set(["ArrowFunctionExpression", "FunctionExpression"]);
const WRAP_NAME = "__faas_fn";

interface DeclaratorNode extends Node {
  id: Node & { name?: string };
  init: Node | null;
}
interface DeclarationNode extends Node {
  declarations: DeclaratorNode[];
}

function invalidFunction(message: string): Result<string, DomainError> {
  return err({ kind: "InvalidFunction", message, arg: { name: "source" } });
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/** The node types as a reader would name them in an error message. */
function describeNode(node: Node): string {
  return node.type.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

export class FunctionSourceChecker implements SourceChecker {
  private readonly transpiler = new Bun.Transpiler({ loader: "ts", target: "bun" });

  /**
   * @example
   * new FunctionSourceChecker().check("(a: number, b: number) => a + b") // ok: "(a, b) => a + b"
   */
  check(source: string): Result<string, DomainError> {
    if (source.trim() === "") return invalidFunction("Function payload must be a function expression, got an empty string");
    let js: string;
    try {
      js = this.transpiler.transformSync(`const ${WRAP_NAME} = (${source}\n);`);
    } catch (e) {
      return invalidFunction(`Function payload does not parse: ${String((e as Error).message ?? e).split("\n")[0]}`);
    }
    let program: Node & { body: Node[] };
    try {
      program = parse(js, { ecmaVersion: "latest", sourceType: "script" }) as Node & { body: Node[] };
    } catch (e) {
      return invalidFunction(`Function payload does not parse: ${(e as Error).message}`);
    }
    if (program.body.length !== 1) {
      return invalidFunction(
        `Function payload must be exactly one function expression, got ${program.body.length} statements (near "${firstLine(source)}")`,
      );
    }
    const decl = program.body[0] as DeclarationNode;
    const declarator = decl.type === "VariableDeclaration" && decl.declarations.length === 1 ? decl.declarations[0] : undefined;
    if (declarator === undefined || declarator.id.name !== WRAP_NAME || declarator.init === null) {
      return invalidFunction(`Function payload must be exactly one function expression, got "${firstLine(source)}"`);
    }
    const init = declarator.init;
    if (!FUNCTION_NODES.has(init.type)) {
      return invalidFunction(`Function payload must be a function expression, got a ${describeNode(init)}`);
    }
    return ok(js.slice(init.start, init.end));
  }
}
