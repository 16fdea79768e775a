import { Agent, get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../support/api';

/** One GET on the agent: status, and whether it went over a kept-alive socket. */
function request(url: string, agent: Agent): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

// Behind nginx (upstream keepalive, kept 60 s): the api must not close an idle kept-alive connection
// first, or nginx sends a request into a closing socket and the user gets a 502.
describe('HTTP keep-alive', () => {
  let api: TestApi;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    agent.destroy();
    await api?.stop();
  });

  it('keeps an idle connection open past Node\'s 5 s default', async () => {
    expect(await request(`${api.httpUrl}/health`, agent)).toEqual({ status: 200, reused: false });
    // The idle time is what is tested here (Node closes at 5 s by default), not a wait for an event.
    await new Promise((r) => setTimeout(r, 6000));
    expect(await request(`${api.httpUrl}/health`, agent)).toEqual({ status: 200, reused: true });
  }, 20_000);
});
