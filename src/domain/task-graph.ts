/**
 * A small DAG of tasks submitted in one call (POST /execute_graph): each node has a local name unique
 * in the graph, and may wait for other nodes (by name) or for tasks that exist already (by id). Checks
 * the names and refuses cycles, naming one.
 *
 * @example
 * checkGraph([{ name: "a" }, { name: "b", after: ["a"] }])  // ok(["a", "b"]): an order that runs a first
 * checkGraph([{ name: "a", after: ["b"] }, { name: "b", after: ["a"] }])
 *   // InvalidRequest: "tasks form a cycle: a -> b -> a"
 */
import { invalid, type DomainError } from "./errors.ts";
import { err, ok, type Result } from "./result.ts";

export interface GraphNode {
  readonly name: string;
  /** Local names of other nodes, or ids of existing tasks. */
  readonly after?: readonly string[];
}

export const MAX_GRAPH = 1000;
const NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** The node names in an order where every node comes after the nodes it waits for; or why not. */
export function checkGraph(nodes: readonly GraphNode[]): Result<string[], DomainError> {
  if (nodes.length === 0) return err(invalid("A graph needs at least one task", { name: "tasks" }));
  if (nodes.length > MAX_GRAPH) return err(invalid(`A graph holds at most ${MAX_GRAPH} tasks, got ${nodes.length}`, { name: "tasks" }));
  const byName = new Map<string, GraphNode>();
  for (const [i, n] of nodes.entries()) {
    if (!NAME.test(n.name)) return err(invalid(`Each task needs a name of 1-100 letters, digits or _.:-, got ${JSON.stringify(n.name)}`, { name: "tasks", index: i }));
    if (byName.has(n.name)) return err(invalid(`Two tasks are named "${n.name}"`, { name: "tasks", index: i }));
    byName.set(n.name, n);
  }
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === "done") return undefined;
    if (s === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const dep of byName.get(name)?.after ?? []) {
      if (!byName.has(dep)) continue; // an existing task's id
      const cycle = visit(dep);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(name, "done");
    order.push(name);
    return undefined;
  };
  for (const n of nodes) {
    const cycle = visit(n.name);
    if (cycle !== undefined) return err(invalid(`tasks form a cycle: ${cycle.join(" -> ")}`, { name: "tasks" }));
  }
  return ok(order);
}
