import { type NextRequest, NextResponse } from "next/server";

// `rewrites()` in next.config.ts map /graphql, /graphql/stream, /events, /evidence and /exports to
// the API, but `next build` bakes their destination into the build. When the server starts with
// another COHORT_API_URL (the demo builds once and starts on a free port), re-target here, at request
// time, so the browser still talks to one origin.
const BUILT_FOR = process.env.COHORT_API_URL_AT_BUILD ?? "";

export function proxy(request: NextRequest) {
  const runtime = (process.env.COHORT_API_URL ?? "http://127.0.0.1:4000").replace(/\/+$/, "");
  if (runtime === BUILT_FOR) return NextResponse.next();
  const { pathname, search } = request.nextUrl;
  return NextResponse.rewrite(new URL(`${pathname}${search}`, `${runtime}/`));
}

export const config = {
  matcher: ["/graphql", "/graphql/stream", "/events/:path*", "/evidence/:path*", "/exports/:path*"],
};
