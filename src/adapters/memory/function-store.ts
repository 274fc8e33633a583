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

  async list(tenant?: string): Promise<FunctionRecord[]> {
    const all = [...this.byId.values()];
    return tenant === undefined ? all : all.filter((f) => f.tenant === tenant);
  }

  async count(tenant?: string): Promise<number> {
    return tenant === undefined ? this.byId.size : (await this.list(tenant)).length;
  }
}
