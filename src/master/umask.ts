// The file mode mask for everything the server and the `mailman` command write under var:
// the database, queue files, held messages and logs hold member addresses, password hashes
// and private mail. 027, not 007: only the server's own user writes there (the runners, and
// the CLI run as that user); its group may read, for backups and log readers, but not write,
// so a group member cannot plant a queue file or edit the database. Others get nothing.
export const SERVER_UMASK = 0o027;

/** Applies SERVER_UMASK on top of the inherited mask: a stricter site umask (077) stays. */
export function applyServerUmask(): void {
  const inherited = process.umask(SERVER_UMASK);
  process.umask(inherited | SERVER_UMASK);
}
