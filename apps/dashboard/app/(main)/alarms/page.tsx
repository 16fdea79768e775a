import type { Metadata } from 'next';
import { AlarmsScreen } from '../../../ui/alarms/alarms-screen';

export const metadata: Metadata = { title: 'Alarms · Line Monitor' };

export default function AlarmsPage() {
  return <AlarmsScreen />;
}
