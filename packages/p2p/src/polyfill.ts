// libp2p 3.x (and its helpers it-queue, mortice, yamux, @libp2p/utils) call the ES2024
// `Promise.withResolvers`, which Node 20 lacks (it arrived in Node 22). On Node 20 the call
// throws inside libp2p's inbound-stream path, the stream/connection is torn down and the
// dialer sees `ECONNRESET` (or the process dies with "Promise.withResolvers is not a
// function"). This installs a spec-conforming implementation only when it is missing, so it
// is a no-op on Node >= 22. It must be evaluated before any libp2p code runs; every module in
// this package that imports libp2p imports this file first.

type Resolvers<T> = {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
};

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof P.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>["resolve"];
      let reject!: Resolvers<T>["reject"];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
