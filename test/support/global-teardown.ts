export default async function globalTeardown(): Promise<void> {
  const g = globalThis as { __lmPostgres?: { stop(): Promise<void> } };
  const db = g.__lmPostgres;
  g.__lmPostgres = undefined;
  await db?.stop();
}
