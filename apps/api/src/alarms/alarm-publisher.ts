import { Injectable } from '@nestjs/common';
import type { AlarmRecord } from '@lm/protocol';
import { ClusterService } from '../cluster/cluster.service';

/** Where alarm changes go live: `alarm` when raised, `alarm_update` for every later change, whole record. */
export interface AlarmPublisher {
  publish(type: 'alarm' | 'alarm_update', record: AlarmRecord, lineId: string, timestamp: string): void;
}

export const ALARM_PUBLISHER = Symbol('ALARM_PUBLISHER');

/**
 * The default: the realtime hub's resumable stream (seq, replay), on the `alarm` channel, and the
 * other api instances' streams (cluster/).
 */
@Injectable()
export class RealtimeAlarmPublisher implements AlarmPublisher {
  constructor(private readonly cluster: ClusterService) {}

  publish(type: 'alarm' | 'alarm_update', record: AlarmRecord, lineId: string, timestamp: string): void {
    this.cluster.publish(type, record, lineId, timestamp);
  }
}
