import type { Metadata } from 'next';
import { LineDetail } from '../../../../ui/line/line-detail';

export const metadata: Metadata = { title: 'Line · Line Monitor' };

export default async function LinePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <LineDetail key={id} id={decodeURIComponent(id)} />;
}
