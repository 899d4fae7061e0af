// Moderation requests for a list (Mailman's _request table). This issue stores held
// messages; the moderation issue adds the moderator's actions on them.
import type { DataSource, Repository } from 'typeorm';
import { ListRequest, ListRequestEntity } from '../model/entities.js';
import { findPaged, type Page, type Paged } from './paging.js';

export interface HeldMessageData {
  _mod_message_id: string;
  _mod_listid: string;
  _mod_sender: string;
  _mod_subject: string;
  _mod_reason: string;
  _mod_hold_date: string;
  [key: string]: unknown;
}

export interface HeldMessage {
  request: ListRequest;
  data: HeldMessageData;
}

export class RequestManager {
  private readonly repo: Repository<ListRequest>;
  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ListRequestEntity);
  }

  async holdMessage(listId: string, data: HeldMessageData): Promise<ListRequest> {
    return this.repo.save(
      this.repo.create({
        list_id: listId,
        request_type: 'held_message',
        key: data._mod_message_id,
        data: JSON.stringify(data),
        created_at: new Date(),
      }),
    );
  }

  async heldMessages(listId: string): Promise<HeldMessage[]> {
    return (await this.heldPage(listId)).items;
  }

  /** A list's held messages, oldest first; one page of them. */
  async heldPage(listId: string, page?: Page): Promise<Paged<HeldMessage>> {
    const { items, total } = await findPaged(
      this.repo,
      { where: { list_id: listId, request_type: 'held_message' }, order: { id: 'ASC' } },
      page,
    );
    return { items: items.map((request) => ({ request, data: JSON.parse(request.data) as HeldMessageData })), total };
  }

  heldCount(listId: string): Promise<number> {
    return this.repo.countBy({ list_id: listId, request_type: 'held_message' });
  }

  async heldMessage(listId: string, id: number): Promise<HeldMessage | undefined> {
    const request = await this.repo.findOneBy({ list_id: listId, request_type: 'held_message', id });
    return request ? { request, data: JSON.parse(request.data) as HeldMessageData } : undefined;
  }

  async delete(id: number): Promise<void> {
    await this.repo.delete({ id });
  }
}
