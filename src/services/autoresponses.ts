// The per-day limit on automatic replies to one address from one list ([mta]
// max_autoresponses_per_day): below it a reply goes out; the reply that reaches it is
// replaced by one "last notice for today"; beyond it the list stays silent until tomorrow.
import type { DataSource, Repository } from 'typeorm';
import type { Sql } from '../model/sql.js';
import { AutoResponseRecordEntity, type AutoResponseRecord, type ResponseType } from '../model/autoresponse.js';

export type AutoResponseDecision = 'send' | 'last-notice' | 'silent';

const today = (now: Date) => now.toISOString().slice(0, 10);

const BUMP = `INSERT INTO autoresponsecount (list_id, address, response_type, date_sent, count) VALUES (?, ?, ?, ?, 1)
  ON CONFLICT (list_id, address, response_type, date_sent) DO UPDATE SET count = autoresponsecount.count + 1
  RETURNING count`;

export class AutoResponseManager {
  private readonly repo: Repository<AutoResponseRecord>;
  constructor(
    ds: DataSource,
    private readonly sql: Sql,
    private readonly perDay: number,
  ) {
    this.repo = ds.getRepository(AutoResponseRecordEntity);
  }

  /**
   * Decides whether `address` may get another automatic reply of `type` today, and records
   * it if so. The day's counter is bumped and read in one statement, so two messages handled
   * at once (in one process or several) never both get the reply that reaches the limit.
   */
  async claim(listId: string, address: string, type: ResponseType, now = new Date()): Promise<AutoResponseDecision> {
    const key = { list_id: listId, address: address.toLowerCase(), response_type: type, date_sent: today(now) };
    if (this.perDay > 0) {
      const row = await this.sql.get<{ count: number }>(BUMP, [
        key.list_id,
        key.address,
        key.response_type,
        key.date_sent,
      ]);
      const position = Number(row?.count ?? 1);
      if (position > this.perDay + 1) return 'silent';
      await this.repo.save(this.repo.create(key));
      return position === this.perDay + 1 ? 'last-notice' : 'send';
    }
    await this.repo.save(this.repo.create(key));
    return 'send';
  }

  /** The date of the last reply of `type` sent to `address`, for grace periods. */
  async lastSent(listId: string, address: string, type: ResponseType): Promise<string | undefined> {
    const row = await this.repo.findOne({
      where: { list_id: listId, address: address.toLowerCase(), response_type: type },
      order: { date_sent: 'DESC' },
    });
    return row?.date_sent;
  }
}
