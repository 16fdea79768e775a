import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmLimitKind, AlarmSeverity } from '@lm/protocol';

/** One limit on one metric of one line (unique per line, metric and limit kind). */
@Entity({ name: 'alarm_rules' })
export class AlarmRuleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'text', name: 'line_id' })
  lineId: string;

  @Column({ type: 'text' })
  metric: string;

  @Column({ type: 'text', name: 'limit_kind' })
  limitKind: AlarmLimitKind;

  @Column({ type: 'double precision' })
  limit: number;

  @Column({ type: 'text' })
  severity: AlarmSeverity;

  @Column({ type: 'double precision', default: 0 })
  deadband: number;

  @Column({ type: 'double precision', name: 'on_delay_s', default: 0 })
  onDelayS: number;

  @Column({ type: 'double precision', name: 'off_delay_s', default: 0 })
  offDelayS: number;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Column({ type: 'boolean', name: 'comment_required', default: false })
  commentRequired: boolean;

  @Column({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;

  @Column({ type: 'text', name: 'updated_by', nullable: true })
  updatedBy: string | null;
}
