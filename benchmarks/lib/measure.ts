/**
 * Timing and allocation measurement for benchmarks.
 *
 * Latency comes from two kinds of samples. A single decision takes well
 * under a microsecond, near the cost of reading the clock, so the median is
 * taken over batches (the time of `batch` consecutive calls, divided by
 * `batch`); a batch average hides outliers, so tail percentiles come from
 * timing calls one by one, and the clock's own cost (`clockOverheadNs`) is
 * reported beside them rather than subtracted.
 *
 * Allocation is the growth of V8's used heap across a window of calls that
 * starts right after a forced full GC (`--expose-gc`, enabled at run time),
 * minus the growth of an empty window; windows are short enough to fit in
 * the young generation, so no collection runs inside one, and the median over
 * windows is reported.
 *
 * @module
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Something benchmarks feed results into, so the optimiser cannot drop the work. */
export const sink = { value: 0 };

/** The `q`-quantile (0..1) of `values`, by the nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Per-call nanoseconds of `count` batches of `batch` calls of `run(k)`, `k` counting up from `start`. */
export function batchSamples(
  run: (k: number) => number,
  start: number,
  count: number,
  batch: number,
): number[] {
  const out: number[] = [];
  let k = start;
  for (let b = 0; b < count; b++) {
    let acc = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) acc += run(k++);
    const t1 = process.hrtime.bigint();
    sink.value += acc;
    out.push(Number(t1 - t0) / batch);
  }
  return out;
}

/** Nanoseconds of `count` calls of `run(k)`, each timed on its own. */
export function singleSamples(run: (k: number) => number, start: number, count: number): number[] {
  const out: number[] = [];
  let acc = 0;
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    acc += run(start + i);
    const t1 = process.hrtime.bigint();
    out.push(Number(t1 - t0));
  }
  sink.value += acc;
  return out;
}

/** The median cost of reading the clock twice, in nanoseconds: what every single sample includes. */
export function clockOverheadNs(): number {
  const out: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    out.push(Number(t1 - t0));
  }
  return quantile(out, 0.5);
}

let forcedGc: (() => void) | null = null;

/** `gc()`, exposed at run time so benchmarks run as plain `node file.ts`. */
function collect(): void {
  if (forcedGc === null) {
    setFlagsFromString("--expose-gc");
    forcedGc = runInNewContext("gc") as () => void;
  }
  forcedGc();
}

function heapGrowth(run: (k: number) => number, start: number, calls: number): number {
  collect();
  const before = getHeapStatistics().used_heap_size;
  let acc = 0;
  for (let i = 0; i < calls; i++) acc += run(start + i);
  const after = getHeapStatistics().used_heap_size;
  sink.value += acc;
  return after - before;
}

/** Median bytes allocated per call of `run`, over `windows` windows of `calls` calls. */
export function bytesPerCall(run: (k: number) => number, windows: number, calls: number): number {
  const empty: number[] = [];
  const full: number[] = [];
  for (let w = 0; w < windows; w++) {
    empty.push(heapGrowth(run, 0, 0));
    full.push(heapGrowth(run, w * calls, calls));
  }
  return Math.max(0, (quantile(full, 0.5) - quantile(empty, 0.5)) / calls);
}
