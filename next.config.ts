import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["better-sqlite3"],
  typedRoutes: false,
  devIndicators: false,
  // The build checks the app's own code; `npm test` type-checks everything (tests included).
  typescript: { tsconfigPath: "tsconfig.build.json" },
};

export default nextConfig;
