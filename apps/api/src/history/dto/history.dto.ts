import { ApiProperty } from '@nestjs/swagger';

export class HistoryPoint {
  @ApiProperty({ description: 'Start of the bucket (or the reading time when raw), ISO-8601 UTC; never before `from` (a first bucket that starts earlier is labelled `from`)' })
  time: string;
  @ApiProperty() min: number;
  @ApiProperty() max: number;
  @ApiProperty() avg: number;
  @ApiProperty({ description: 'Readings in the bucket (1 when raw)' })
  count: number;
}

export class HistoryResponse {
  @ApiProperty() line_id: string;
  @ApiProperty() metric: string;
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ enum: ['raw', 'bucketed'], description: 'raw when the range holds no more than max_points readings' })
  resolution: 'raw' | 'bucketed';
  @ApiProperty({ nullable: true, type: Number, description: 'Bucket width in milliseconds (null when raw); a whole number of minutes, on the UTC minute grid, when a minute or more' })
  bucket_ms: number | null;
  @ApiProperty({ type: [HistoryPoint] })
  points: HistoryPoint[];
}
