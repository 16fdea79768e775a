import { NotLiveError, type RealtimeClient } from '@lm/client';
import type { ClientDataMap } from '@lm/protocol';

export type AlarmCommand = 'alarm_ack' | 'alarm_shelve' | 'alarm_unshelve';

export interface CommandOutcome {
  ok: boolean;
  /** What to show the user. */
  message: string;
  /** `forbidden`, `not_live`, `timeout`, or the server's error code. */
  code?: string;
}

let counter = 0;

/**
 * Sends an alarm command over the WebSocket and waits for the `result` or `error` echoing its
 * request_id. Nothing is queued: when the connection is not live the command is refused at once.
 */
export function sendAlarmCommand<K extends AlarmCommand>(
  client: RealtimeClient | null,
  type: K,
  data: Omit<ClientDataMap[K], 'request_id'>,
  timeoutMs = 10_000,
): Promise<CommandOutcome> {
  if (!client) return Promise.resolve({ ok: false, code: 'not_live', message: 'Not connected: nothing was sent.' });
  const requestId = `ui-${Date.now().toString(36)}-${++counter}`;
  return new Promise<CommandOutcome>((resolve) => {
    const finish = (outcome: CommandOutcome): void => {
      clearTimeout(timer);
      offResult();
      offError();
      resolve(outcome);
    };
    const offResult = client.on('result', (r) => {
      if (r.request_id !== requestId) return;
      const message = typeof r.result?.message === 'string' ? r.result.message : 'Done.';
      finish({ ok: true, message: message.charAt(0).toUpperCase() + message.slice(1) });
    });
    const offError = client.on('error', (e) => {
      if (e.request_id !== requestId) return;
      const message = e.code === 'forbidden' ? 'Not allowed: requires the engineer or admin role.' : e.message;
      finish({ ok: false, code: e.code, message });
    });
    // No answer in time: the outcome is unknown; the alarm's state on the stream tells the truth.
    const timer = setTimeout(
      () => finish({ ok: false, code: 'timeout', message: 'No answer from the server; check the alarm state before retrying.' }),
      timeoutMs,
    );
    try {
      client.send(type, { ...data, request_id: requestId } as ClientDataMap[K]);
    } catch (err) {
      const state = err instanceof NotLiveError ? err.state : 'unknown';
      finish({
        ok: false,
        code: 'not_live',
        message: `Not sent: the connection is ${state}. Commands are never queued; try again when live.`,
      });
    }
  });
}
