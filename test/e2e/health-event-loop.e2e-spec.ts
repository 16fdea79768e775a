import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../support/api';

// The api runs in this process (startTestApi), so the test can block its event loop on purpose.
describe('GET /health/event-loop', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  const measure = (windowMs: number): Promise<Response> => fetch(`${api.httpUrl}/health/event-loop?window_ms=${windowMs}`);

  it('measures the delay over the asked window, without the timer interval itself', async () => {
    const res = await measure(300);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, number>;
    expect(body).toMatchObject({ window_ms: 300, samples: expect.any(Number) });
    expect(body.samples).toBeGreaterThan(5);
    // An idle loop: near zero, not the histogram's 10 ms resolution.
    expect(body.event_loop_delay_p50_ms).toBeLessThan(5);
  });

  it('sees a blocked loop, and runs one measurement at a time', async () => {
    // The loop is blocked for 150 ms every 200 ms while the two requests are served.
    const blocker = setInterval(() => {
      const until = Date.now() + 150;
      while (Date.now() < until);
    }, 200);
    let answers: Response[];
    try {
      answers = await Promise.all([measure(1000), measure(1000)]);
    } finally {
      clearInterval(blocker);
    }
    expect(answers.map((r) => r.status).sort()).toEqual([200, 429]);
    const [ok, refused] = answers[0].status === 200 ? answers : [answers[1], answers[0]];
    expect(await refused.json()).toEqual({ detail: expect.stringMatching(/already running/) });
    expect(((await ok.json()) as Record<string, number>).event_loop_delay_max_ms).toBeGreaterThanOrEqual(100);
  }, 20_000);

  it('refuses a window out of range with 422', async () => {
    const res = await fetch(`${api.httpUrl}/health/event-loop?window_ms=5`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: string[] }[] };
    expect(body.detail[0].loc).toEqual(['query', 'window_ms']);
  });

  it('/health reports the delay of the last minute', async () => {
    const body = (await (await fetch(`${api.httpUrl}/health`)).json()) as Record<string, unknown>;
    expect(typeof body.event_loop_delay_p99_ms).toBe('number');
  });
});
