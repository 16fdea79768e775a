import path from 'node:path';
import type { NextConfig } from 'next';

// The dashboard imports libs/protocol and libs/client (tsconfig paths) from outside its folder:
// both Turbopack and output tracing must see the whole repository.
const repoRoot = path.join(__dirname, '..', '..');

const nextConfig: NextConfig = {
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
