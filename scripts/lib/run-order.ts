/**
 * The order in which measurements that are compared take turns, so that no side always goes first.
 *
 * The order bench-compare.ts runs two revisions in: pairs, each revision first in every other pair
 * (base, head, head, base, base, head, ...). Run back to back, the second run of a pair came out 2-5%
 * slower than the first whatever the code (the same revision on both sides: -2.1%; the code of one
 * change against the code before, in both orders: -4.8% and -4.6%, each time for the revision run
 * second), so an order that always put the base first counted that against the head.
 *
 * @example
 * runOrder(2); // ["base", "head", "head", "base"]
 */
export type Side = "base" | "head";

export function runOrder(runs: number): Side[] {
  const order: Side[] = [];
  for (let i = 0; i < runs; i++) order.push(...inTurn(["base", "head"] as const, i));
  return order;
}

/**
 * The order of `items` in turn `turn` (from 0): as given in even turns, reversed in odd ones (the
 * evaluation's stacks measured alternately, bench-hops' bare and our stacks).
 *
 * @example
 * inTurn(["a", "b", "c"], 1); // ["c", "b", "a"]
 */
export function inTurn<T>(items: readonly T[], turn: number): T[] {
  return turn % 2 === 0 ? [...items] : [...items].reverse();
}
