'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { memo, useMemo, type ReactNode } from 'react';
import { useSession } from '../../lib/auth';
import { formatAge, formatClock } from '../../lib/format';
import { RealtimeProviders, useConnection, type ConnectionInfo, type RealtimeServices } from '../../lib/realtime-context';
import { useNow, useRealtime } from '../../lib/use-realtime';
import { UserMenu } from '../auth/user-menu';
import { ConnectionIndicator } from '../overview/connection-indicator';
import overview from '../overview/overview.module.css';
import { AlarmBanner } from './alarm-banner';
import { NotificationBell } from './notification-bell';
import styles from './shell.module.css';

const NAV = [
  { href: '/', label: 'Overview' },
  { href: '/alarms', label: 'Alarms' },
  { href: '/kpis', label: 'KPIs' },
];

/**
 * Every signed-in screen: one realtime connection for the whole session (the shell lives in the layout,
 * so client-side navigation keeps it), the header, the alarm banner and the connection banner.
 */
export function AppShell({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const auth = useSession();
  const realtime = useRealtime(apiUrl || undefined, auth);
  const { client, alarms, notifications, apiBase, lines, connection, lastMessageAt, wsUrl } = realtime;
  const services = useMemo<RealtimeServices>(
    () => ({ client, alarms, notifications, apiBase, apiUrl, auth }),
    // auth is a new object per render of useSession; its parts are what matter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [client, alarms, notifications, apiBase, apiUrl, auth.ready, auth.session, auth.signOut],
  );
  const conn = useMemo<ConnectionInfo>(() => ({ connection, lastMessageAt, wsUrl }), [connection, lastMessageAt, wsUrl]);

  return (
    <RealtimeProviders services={services} lines={lines} connection={conn}>
      <div className={overview.page}>
        <header className={overview.header}>
          <div className={overview.brand}>
            <h1 className={overview.title}>Line Monitor</h1>
          </div>
          <Nav />
          <div className={overview.headerRight}>
            <NotificationBell />
            <HeaderStatus />
            <UserMenu apiUrl={apiUrl} {...auth} />
          </div>
        </header>
        <AlarmBanner />
        <ConnectionBanner />
        {children}
      </div>
    </RealtimeProviders>
  );
}

const Nav = memo(function Nav() {
  const path = usePathname();
  return (
    <nav className={styles.nav} aria-label="Screens">
      {NAV.map((n) => {
        const current = n.href === '/' ? path === '/' : path.startsWith(n.href);
        return (
          <Link key={n.href} href={n.href} className={styles.navLink} aria-current={current ? 'page' : undefined}>
            {n.label}
          </Link>
        );
      })}
    </nav>
  );
});

// Its own clock, so the ticking re-renders only this corner.
const HeaderStatus = memo(function HeaderStatus() {
  const now = useNow(500);
  const { connection, lastMessageAt } = useConnection();
  return (
    <>
      <ConnectionIndicator state={connection.state} reason={connection.reason} lastMessageAt={lastMessageAt} now={now} />
      <span className={overview.clock} suppressHydrationWarning>
        {now > 0 ? formatClock(now) : ''}
      </span>
    </>
  );
});

const ConnectionBanner = memo(function ConnectionBanner() {
  const now = useNow(1000);
  const { connection, lastMessageAt, wsUrl } = useConnection();
  if (connection.state === 'live') return null;
  const live = connection.state === 'fallback';
  return (
    <div className={overview.banner} data-state={connection.state} data-testid="connection-banner" role="alert">
      <strong>{bannerTitle(connection.state, lastMessageAt !== null)}</strong>
      <span>
        {live
          ? 'Values are live over Server-Sent Events (WebSocket is blocked on this network); commands are unavailable.'
          : lastMessageAt !== null && now > 0
            ? `Values are the last received, ${formatAge(Math.max(0, now - lastMessageAt))} ago, and are not updating.`
            : 'No data received yet.'}
      </span>
      <span className={overview.bannerDetail}>
        {connection.reason}
        {wsUrl ? ` · ${wsUrl}` : ''}
      </span>
    </div>
  );
});

function bannerTitle(state: string, hadData: boolean): string {
  switch (state) {
    case 'connecting':
      return 'Connecting to the server…';
    case 'reconnecting':
      return hadData ? 'Connection lost: reconnecting…' : 'Cannot reach the server: retrying…';
    case 'offline':
      return 'Offline: not connected to the server.';
    case 'recovering':
      return 'Reconnected: catching up on missed data…';
    case 'fallback':
      return 'Live on the fallback connection.';
    default:
      return 'Not live.';
  }
}
