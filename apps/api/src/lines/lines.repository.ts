import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { LineEntity } from './line.entity';

@Injectable()
export class LinesRepository {
  private readonly repo: Repository<LineEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.repo = dataSource.getRepository(LineEntity);
  }

  findAll(): Promise<LineEntity[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  async insertMissing(lines: Pick<LineEntity, 'id' | 'name' | 'diameterTarget' | 'zoneCount'>[]): Promise<void> {
    await this.repo.createQueryBuilder().insert().into(LineEntity).values(lines).orIgnore().execute();
  }
}
