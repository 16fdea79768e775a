/**
 * MQTT packets a handler refused so that the broker delivers them again (shutting down before the
 * write). Marked on the packet itself because Nest's RPC exception handling replaces the error a
 * handler throws (RpcExceptionsHandler turns it into `{status, message}`): the transport could not
 * tell "leave unacknowledged" from "failed" by the error, and acknowledged, i.e. lost, the message.
 */
const leftForRedelivery = new WeakSet<object>();

export function leaveForRedelivery(packet: object): void {
  leftForRedelivery.add(packet);
}

export function isLeftForRedelivery(packet: object): boolean {
  return leftForRedelivery.has(packet);
}

/** An error that asks for redelivery (see BatchWriterClosedError). */
export function asksForRedelivery(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { redeliver?: unknown }).redeliver === true;
}
