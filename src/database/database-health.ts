import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Whether Postgres answers: the readiness check's question, asked without touching any table. */
@Injectable()
export class DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {}

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
