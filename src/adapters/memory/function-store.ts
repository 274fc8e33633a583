import type { FunctionRecord } from "../../domain/function-record.ts";
import type { FunctionStore } from "../../domain/ports.ts";

/** Functions in a Map: the embedded mode's registry and the reference for the contract suite. */
export class MemoryFunctionStore implements FunctionStore {
  private readonly byId = new Map<string, FunctionRecord>();

  async save(fn: FunctionRecord): Promise<void> {
    this.byId.set(fn.id, fn);
  }

  async get(id: string): Promise<FunctionRecord | undefined> {
    return this.byId.get(id);
  }

  async list(): Promise<FunctionRecord[]> {
    return [...this.byId.values()];
  }

  async count(): Promise<number> {
    return this.byId.size;
  }
}
