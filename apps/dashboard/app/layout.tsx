import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
// Self-hosted from npm: control rooms are often offline, so no Google Fonts.
import '@fontsource-variable/inter';
import './globals.css';

export const metadata: Metadata = {
  title: 'Line Monitor',
  description: 'Real-time overview of the extrusion lines',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: '#d4d4d4',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
