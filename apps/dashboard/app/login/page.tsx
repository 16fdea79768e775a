import type { Metadata } from 'next';
import { connection } from 'next/server';
import { LoginForm } from '../../ui/auth/login-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign in · Line Monitor' };

// Whether demo users are listed is the api's call (GET /api/auth/options): `next start` always runs with
// NODE_ENV=production, so the dashboard's own NODE_ENV cannot tell a laptop from a plant.
export default async function LoginPage() {
  await connection();
  return <LoginForm apiUrl={process.env.PUBLIC_API_URL ?? ''} />;
}
