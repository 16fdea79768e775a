import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, LessThan, type Repository } from 'typeorm';
import { AuditEntity } from './audit.entity';

@Injectable()
export class AuditRepository {
  private readonly repo: Repository<AuditEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.repo = dataSource.getRepository(AuditEntity);
  }

  async insert(row: Pick<AuditEntity, 'event' | 'actor' | 'subject' | 'address' | 'success' | 'details'>): Promise<void> {
    // A parameterised INSERT: TypeORM's deep-partial insert type does not accept a free-form jsonb object.
    await this.repo.query(`INSERT INTO audit_log (event, actor, subject, address, success, details) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`, [
      row.event,
      row.actor,
      row.subject,
      row.address,
      row.success,
      JSON.stringify(row.details),
    ]);
  }

  /** Newest first; `beforeId` pages back. */
  list(opts: { limit: number; beforeId?: string; event?: string; actor?: string }): Promise<AuditEntity[]> {
    return this.repo.find({
      where: {
        ...(opts.beforeId ? { id: LessThan(opts.beforeId) } : {}),
        ...(opts.event ? { event: opts.event } : {}),
        ...(opts.actor ? { actor: opts.actor } : {}),
      },
      order: { id: 'DESC' },
      take: opts.limit,
    });
  }
}
