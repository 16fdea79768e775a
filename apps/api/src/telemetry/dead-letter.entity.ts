import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A message ingest refused, kept with the reason so that nothing bad is silently dropped. */
@Entity({ name: 'dead_letters' })
export class DeadLetterEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz', name: 'received_at' })
  receivedAt: Date;

  @Column({ type: 'text' })
  topic: string;

  /** The payload as received, capped in size. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ type: 'integer', name: 'payload_size' })
  payloadSize: number;

  @Column({ type: 'text' })
  reason: string;
}
