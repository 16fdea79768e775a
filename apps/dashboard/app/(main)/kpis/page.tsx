import type { Metadata } from 'next';
import { KpiScreen } from '../../../ui/kpis/kpi-screen';

export const metadata: Metadata = { title: 'Alarm KPIs · Line Monitor' };

export default function KpisPage() {
  return <KpiScreen />;
}
