import type { CancelSignals } from "../../domain/ports.ts";
import { MemoryTaskEvents } from "./task-events.ts";

/** In-process "these tasks were cancelled" signals: the same synchronous fan-out as MemoryTaskEvents. */
export class MemoryCancelSignals extends MemoryTaskEvents implements CancelSignals {}
