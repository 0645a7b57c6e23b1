import type { NextConfig } from "next";

// The dashboard talks only to the portal API, served through this origin so the browser never needs
// CORS. `next dev` reads COHORT_API_URL at start; `next build` bakes it into the build, and proxy.ts
// re-targets at request time when `next start` runs with another COHORT_API_URL.
const api = (process.env.COHORT_API_URL ?? "http://127.0.0.1:4000").replace(/\/+$/, "");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Compression would buffer the Server-Sent Events streams proxied below.
  compress: false,
  devIndicators: false,
  env: { COHORT_API_URL_AT_BUILD: api },
  async rewrites() {
    return [
      { source: "/graphql", destination: `${api}/graphql` },
      { source: "/graphql/stream", destination: `${api}/graphql/stream` },
      { source: "/events/:path*", destination: `${api}/events/:path*` },
      { source: "/evidence/:path*", destination: `${api}/evidence/:path*` },
      { source: "/exports/:path*", destination: `${api}/exports/:path*` },
    ];
  },
};

export default config;
