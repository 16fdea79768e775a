import { connection } from 'next/server';
import { Overview } from '../ui/overview/overview';

// Rendered per request so PUBLIC_API_URL is read when the server runs, not inlined at build time
// (NEXT_PUBLIC_* would be): one build serves any deployment.
export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  await connection();
  return <Overview apiUrl={process.env.PUBLIC_API_URL ?? ''} />;
}
