import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { DeadLetterEntity } from './dead-letter.entity';

export type NewDeadLetter = Pick<DeadLetterEntity, 'receivedAt' | 'topic' | 'payload' | 'payloadSize' | 'reason'>;

@Injectable()
export class DeadLettersRepository {
  private readonly repo: Repository<DeadLetterEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.repo = dataSource.getRepository(DeadLetterEntity);
  }

  async insert(letter: NewDeadLetter): Promise<void> {
    await this.repo.insert(letter);
  }

  /** One statement for many. */
  async insertMany(letters: NewDeadLetter[]): Promise<void> {
    if (letters.length > 0) await this.repo.insert(letters);
  }

  recent(limit: number): Promise<DeadLetterEntity[]> {
    return this.repo.find({ order: { id: 'DESC' }, take: limit });
  }
}
