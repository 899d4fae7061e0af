// A list's addresses, derived from its name. Free of the database layer, so that the
// components the language names (and `mailman validate`) load without TypeORM.
import type { MailingList } from './entities.js';

/** The addresses derived from a list's name, as Mailman names them. */
export function listAddresses(mlist: Pick<MailingList, 'list_name' | 'mail_host'>) {
  const at = `@${mlist.mail_host}`;
  const n = mlist.list_name;
  return {
    posting: `${n}${at}`,
    owner: `${n}-owner${at}`,
    request: `${n}-request${at}`,
    bounces: `${n}-bounces${at}`,
    join: `${n}-join${at}`,
    leave: `${n}-leave${at}`,
    subscribe: `${n}-subscribe${at}`,
    unsubscribe: `${n}-unsubscribe${at}`,
    confirm: `${n}-confirm${at}`,
  };
}
