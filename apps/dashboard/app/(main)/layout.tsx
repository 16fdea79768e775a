import type { ReactNode } from 'react';
import { connection } from 'next/server';
import { AppShell } from '../../ui/shell/app-shell';

// Rendered per request so PUBLIC_API_URL is read when the server runs, not inlined at build time
// (NEXT_PUBLIC_* would be): one build serves any deployment.
export const dynamic = 'force-dynamic';

// The shell (and its one realtime connection) stays mounted while the user moves between screens.
export default async function MainLayout({ children }: { children: ReactNode }) {
  await connection();
  return <AppShell apiUrl={process.env.PUBLIC_API_URL ?? ''}>{children}</AppShell>;
}
