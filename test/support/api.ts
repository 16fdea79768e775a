import { startApi, type RunningApi } from '../../apps/api/src/bootstrap';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { createTestDatabase } from './database';

export interface TestApi extends RunningApi {
  wsUrl: string;
  stop(): Promise<void>;
}

/** The real api on random ports: its own database on the test cluster, its own embedded broker. */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    MQTT_PORT: '0',
    INGEST_FLUSH_MS: '5',
    ...env,
  });
  // Demo seed (lines 1..8) as on a laptop.
  config.demo = true;
  const api = await startApi(config, { logger: ['error'] });
  return {
    ...api,
    wsUrl: `${api.httpUrl.replace('http', 'ws')}/ws`,
    stop: async () => {
      await api.close();
      await db.drop();
    },
  };
}
