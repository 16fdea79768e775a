'use client';

import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { RealtimeClient } from '@lm/client';
import type { Session } from './auth';
import type { AlarmSnapshot, AlarmStore } from './alarm-store';
import type { NotificationSnapshot, NotificationStore } from './notification-store';
import type { ConnectionView, LineView } from './use-realtime';

/** What rarely changes: the client, the stores, where the api is, who is signed in. */
export interface RealtimeServices {
  client: RealtimeClient | null;
  alarms: AlarmStore;
  notifications: NotificationStore;
  apiBase: string | null;
  apiUrl: string;
  auth: { ready: boolean; session: Session | null; signOut: () => void };
}

export interface ConnectionInfo {
  connection: ConnectionView;
  lastMessageAt: number | null;
  wsUrl: string | null;
}

// Three contexts, so that a frame of line data re-renders the tiles, not the alarm table or the header.
const ServicesContext = createContext<RealtimeServices | null>(null);
const LinesContext = createContext<ReadonlyMap<string, LineView>>(new Map());
const ConnectionContext = createContext<ConnectionInfo>({
  connection: { state: 'connecting', reason: 'starting', since: 0 },
  lastMessageAt: null,
  wsUrl: null,
});

export function RealtimeProviders({
  services,
  lines,
  connection,
  children,
}: {
  services: RealtimeServices;
  lines: ReadonlyMap<string, LineView>;
  connection: ConnectionInfo;
  children: ReactNode;
}) {
  return (
    <ServicesContext.Provider value={services}>
      <ConnectionContext.Provider value={connection}>
        <LinesContext.Provider value={lines}>{children}</LinesContext.Provider>
      </ConnectionContext.Provider>
    </ServicesContext.Provider>
  );
}

export function useServices(): RealtimeServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside <AppShell>');
  return s;
}
export const useLines = (): ReadonlyMap<string, LineView> => useContext(LinesContext);
export const useConnection = (): ConnectionInfo => useContext(ConnectionContext);

export function useAlarms(): AlarmSnapshot {
  const { alarms } = useServices();
  return useSyncExternalStore(alarms.subscribe, alarms.getSnapshot, alarms.getSnapshot);
}

export function useNotifications(): NotificationSnapshot {
  const { notifications } = useServices();
  return useSyncExternalStore(notifications.subscribe, notifications.getSnapshot, notifications.getSnapshot);
}

/** Engineers and admins may acknowledge and shelve; operators and anonymous viewers may not. */
export const canCommand = (session: Session | null): boolean => session?.role === 'engineer' || session?.role === 'admin';
