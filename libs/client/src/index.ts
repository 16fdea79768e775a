export { RealtimeClient } from './realtime-client';
export type { RealtimeClientOptions, RealtimeEvents, Subscription, WebSocketConstructor } from './realtime-client';
export { NotLiveError } from './connection-state';
export type { ConnectionState, StateChange } from './connection-state';
export { TypedEmitter } from './emitter';
export type { EventMap, Listener } from './emitter';
export { FetchEventSource } from './event-source';
export type { EventSourceConstructor, EventSourceLike } from './event-source';
