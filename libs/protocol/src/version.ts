/** Version of the WebSocket protocol spoken on `/ws`; sent in `connected`. Bump on breaking changes. */
export const PROTOCOL_VERSION = 1;
