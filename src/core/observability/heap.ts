import v8 from "node:v8";

/**
 * How much V8 lets the heap grow past what a full collection left, in percent
 * (HEAP_GROWING_PERCENT); 0 leaves it to V8's own heuristics. A list request makes a few
 * megabytes of objects that outlive a young collection (rows, entities, the answer), so under
 * load the old space fills with garbage: left to itself, V8 let it grow to about 150 MB before
 * collecting, and the process's resident memory peaked at 265–280 MB serving 100-deal pages to
 * 10 connections; at 100% it peaked at 180–200 MB, for about 5% more CPU per request.
 * V8 reads the flag at every full collection, so setting it at start-up takes effect.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
