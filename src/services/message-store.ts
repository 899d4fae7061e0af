// Mailman's message store: held messages by Message-ID, the bytes in files under
// [paths] messages_dir (fsynced, like queue files), the index in the database.
import type { DataSource, Repository } from 'typeorm';
import { promises as fs, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicallyAsync } from '../queue/atomic-file.js';
import { StoredMessage, StoredMessageEntity } from '../model/entities.js';
import { messageIdHash } from '../email/message.js';

export class MessageStore {
  private readonly repo: Repository<StoredMessage>;
  constructor(
    ds: DataSource,
    private readonly dir: string,
  ) {
    this.repo = ds.getRepository(StoredMessageEntity);
    mkdirSync(dir, { recursive: true });
  }

  /** Stores a message; one already stored under that Message-ID is kept as it is. */
  async add(messageId: string, raw: Buffer): Promise<StoredMessage> {
    const existing = await this.repo.findOneBy({ message_id: messageId });
    if (existing) return existing;
    const hash = messageIdHash(messageId);
    const rel = join(hash.slice(0, 2), hash.slice(2, 4), hash);
    const path = join(this.dir, rel);
    await writeFileAtomicallyAsync(path, raw, { mkdir: true });
    return this.repo.save(this.repo.create({ message_id: messageId, message_id_hash: hash, path: rel }));
  }

  async get(messageId: string): Promise<Buffer | undefined> {
    const row = await this.repo.findOneBy({ message_id: messageId });
    if (!row) return undefined;
    try {
      return await fs.readFile(join(this.dir, row.path));
    } catch {
      return undefined;
    }
  }

  async delete(messageId: string): Promise<void> {
    const row = await this.repo.findOneBy({ message_id: messageId });
    if (!row) return;
    await this.repo.delete({ id: row.id });
    await fs.rm(join(this.dir, row.path), { force: true });
  }
}
