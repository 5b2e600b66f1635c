/**
 * Reporting: telemetry events and faults go to the hooks the runtime was
 * given. A hook that throws is ignored; reporting must never block or fail a
 * decision (the telemetry exporter buffers on its side).
 *
 * @module
 */
import type { RuntimeEvent, RuntimeFault } from "./types.ts";

/** Hands events and faults to the configured hooks. */
export class Reporter {
  readonly #telemetry: ((event: RuntimeEvent) => void) | undefined;
  readonly #onFault: ((fault: RuntimeFault) => void) | undefined;

  constructor(telemetry?: (event: RuntimeEvent) => void, onFault?: (fault: RuntimeFault) => void) {
    this.#telemetry = telemetry;
    this.#onFault = onFault;
  }

  emit(event: RuntimeEvent): void {
    try {
      this.#telemetry?.(event);
    } catch {
      // A failing sink is the sink's problem; the decision path does not wait for or depend on it.
    }
  }

  /** Reports a contained failure: to `onFault` and as a `fault` event. */
  fault(fault: RuntimeFault): void {
    try {
      this.#onFault?.(fault);
    } catch {
      // As for emit.
    }
    this.emit({ type: "fault", fault });
  }
}
