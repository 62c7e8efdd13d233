import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["better-sqlite3", "simple-git"],
  typedRoutes: false,
  devIndicators: false,
};

export default nextConfig;
