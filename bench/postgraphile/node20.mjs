// PostGraphile 5 declares Node >= 22; on this repository's Node 20 the one missing piece it uses
// is Promise.withResolvers (grafast, @dataplan/pg). Imported before postgraphile.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
