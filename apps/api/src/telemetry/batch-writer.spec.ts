import { describe, expect, it } from '@jest/globals';
import { waitFor } from '../../../../test/support/waiting';
import { BatchWriter } from './batch-writer';

/** A writer of at most 3 items a batch that records its calls and answers `batch<n>` for the n-th. */
function recordingWriter() {
  const calls: number[][] = [];
  const w = new BatchWriter<number, string>(async (items) => {
    calls.push(items);
    return `batch${calls.length}`;
  }, { flushMs: 1000, maxBatch: 3 });
  return { w, calls };
}

describe(BatchWriter.name, () => {
  it('writes up to maxBatch items in one call, and the rest in the next', async () => {
    const { w, calls } = recordingWriter();
    const results = await Promise.all([1, 2, 3, 4].map((n) => w.add(n)));
    await w.flush();
    expect(calls).toEqual([[1, 2, 3], [4]]);
    expect(results).toEqual(['batch1', 'batch1', 'batch1', 'batch2']);
  });

  it('keeps the items of one addAll in the same batch, and writes a group larger than maxBatch alone', async () => {
    const { w, calls } = recordingWriter();
    const results = await Promise.all([w.addAll([1, 2]), w.addAll([3, 4]), w.addAll([5, 6, 7, 8]), w.add(9)]);
    await w.flush();
    expect(calls).toEqual([[1, 2], [3, 4], [5, 6, 7, 8], [9]]);
    expect(results).toEqual(['batch1', 'batch2', 'batch3', 'batch4']);
    expect(w.queued).toBe(0);
  });

  it('flushes a partial batch after flushMs', async () => {
    const calls: number[][] = [];
    const w = new BatchWriter<number, void>(async (items) => void calls.push(items), { flushMs: 5, maxBatch: 100 });
    await Promise.all([w.add(1), w.add(2)]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('keeps one write in flight and batches what arrives meanwhile', async () => {
    let release!: () => void;
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: number[][] = [];
    const w = new BatchWriter<number, void>(async (items) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push(items);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      inFlight--;
    }, { flushMs: 1, maxBatch: 1 });
    const first = w.add(1);
    const rest = [w.add(2), w.add(3)];
    release();
    await Promise.all([first, ...rest]);
    expect(maxInFlight).toBe(1);
    expect(calls.flat()).toEqual([1, 2, 3]);
  });

  it('with concurrency 2, writes two batches at once and still settles them in the order taken', async () => {
    const releases: (() => void)[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const w = new BatchWriter<number, number>(async (items) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => releases.push(r));
      inFlight--;
      return items[0];
    }, { flushMs: 0, maxBatch: 1, concurrency: 2 });
    const settled: number[] = [];
    const adds = [1, 2, 3].map((n) => w.add(n).then((r) => void settled.push(r)));
    await waitFor(() => releases.length === 2, 'two writes in flight');
    releases[1](); // the second batch commits first
    await new Promise((r) => setImmediate(r));
    expect(settled).toEqual([]);
    releases[0]();
    await waitFor(() => releases.length === 3, 'the third write');
    releases[2]();
    await Promise.all(adds);
    expect(settled).toEqual([1, 2, 3]);
    expect(maxInFlight).toBe(2);
    await w.flush();
    expect(w.queued).toBe(0);
  });

  it('rejects every item of a failed batch, and goes on with the next', async () => {
    let fail = true;
    const w = new BatchWriter<number, string>(async () => {
      if (fail) throw new Error('db down');
      return 'ok';
    }, { flushMs: 1, maxBatch: 10 });
    await expect(Promise.all([w.add(1), w.add(2)])).rejects.toThrow('db down');
    fail = false;
    await expect(w.add(3)).resolves.toBe('ok');
  });

  it('with retry, keeps a failed batch and writes it when the store is back, resolving every add', async () => {
    let failures = 2;
    const errors: number[] = [];
    const calls: number[][] = [];
    const w = new BatchWriter<number, string>(async (items) => {
      calls.push(items);
      if (failures-- > 0) throw new Error('db down');
      return 'ok';
    }, { flushMs: 0, maxBatch: 10, retry: { minDelayMs: 1, maxDelayMs: 2, onError: (_e, attempt) => errors.push(attempt) } });
    const adds = [w.add(1), w.add(2)];
    await expect(Promise.all(adds)).resolves.toEqual(['ok', 'ok']);
    expect(errors).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(w.stalled).toBe(false);
    expect(w.queued).toBe(0);
  });

  it('counts the batch being written as queued, and reports a stall while retrying', async () => {
    let fail = true;
    const w = new BatchWriter<number, void>(async () => {
      if (fail) throw new Error('db down');
    }, { flushMs: 0, maxBatch: 10, retry: { minDelayMs: 5, maxDelayMs: 5, onError: () => undefined } });
    const done = w.add(1);
    await waitFor(() => w.stalled, 'the writer to report the stall');
    expect(w.queued).toBe(1);
    fail = false;
    await done;
    expect(w.stalled).toBe(false);
  });
});

describe(`${BatchWriter.name} close`, () => {
  it('stops retrying and refuses what is queued and what comes later, so shutdown cannot hang on a dead database', async () => {
    let attempts = 0;
    const errors: number[] = [];
    const w = new BatchWriter<number, string>(
      () => {
        attempts++;
        return Promise.reject(new Error('db down'));
      },
      { flushMs: 1, maxBatch: 1, retry: { minDelayMs: 5, maxDelayMs: 5, onError: (_e, n) => errors.push(n) } },
    );
    const first = w.add(1);
    const second = w.add(2);
    await waitFor(() => errors.length >= 2, 'two failed attempts');
    w.close();
    await expect(first).rejects.toMatchObject({ redeliver: true });
    await expect(second).rejects.toMatchObject({ redeliver: true });
    await expect(w.add(3)).rejects.toMatchObject({ redeliver: true });
    const after = attempts;
    await new Promise((r) => setTimeout(r, 30));
    expect(attempts).toBe(after);
  });
});
